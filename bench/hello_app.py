"""The Python floor for small requests: a bare Flask app, served like kore-mock is."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
