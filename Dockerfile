# kore-mock as a container image: the mock server, SQLite in the volume /data, PostgreSQL ready.
#
#   docker build -t kore-mock .
#   docker run --rm -p 127.0.0.1:8080:8080 -v kore-mock-data:/data kore-mock
#
# BASE is any image with Python 3.11+ and its venv module (python3 -m venv) at the same path in
# both stages; the tests build one from Debian packages, as no registry is reachable there.
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/kore-mock
COPY pyproject.toml README.md kore_mock.py /src/
COPY mockserver/ /src/mockserver/
COPY contract_tests/ /src/contract_tests/
# The server and its PostgreSQL driver (not the test extras); pip itself is not needed at run time.
RUN /opt/kore-mock/bin/pip install "/src[postgres]" \
 && /opt/kore-mock/bin/pip uninstall --yes pip setuptools \
 && /opt/kore-mock/bin/kore-mock --version

FROM ${BASE}
RUN groupadd --system --gid 10001 kore \
 && useradd --system --uid 10001 --gid kore --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin kore \
 && mkdir /data && chown kore:kore /data
COPY --from=build /opt/kore-mock /opt/kore-mock
# KORE_MOCK_HOST: every caller is remote in a container. KORE_MOCK_ADMIN_TOKEN_FILE: unless an
# admin token is given (KORE_MOCK_ADMIN_TOKEN or adminToken in a settings file), the first start
# generates one into the volume and prints it; the control plane never answers without it.
# The store defaults to kore-mock.db in the working directory, /data (KORE_MOCK_DB or db: change it).
ENV PATH=/opt/kore-mock/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    KORE_MOCK_HOST=0.0.0.0 \
    KORE_MOCK_ADMIN_TOKEN_FILE=/data/admin-token
WORKDIR /data
VOLUME /data
USER kore
EXPOSE 8080
# --live: a liveness check; a server that refuses the token found in /data (another container on
# the volume wrote its own there, or the token is only in a settings file) is up all the same.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD kore-mock health --live
ENTRYPOINT ["kore-mock"]
CMD ["serve"]
