# ruff: noqa: E501, W291 (the pages' text, long lines and trailing blanks included, as printed)
"""The sample requests and responses of Kore.ai's contacts pages, as the pages print them.

Copied character for character from github.com/Koredotcom/docs, ``docs/xo/apis/contact-center/``
(the commit of each copy is given), and for the import page also from its docs.kore.ai rendering
(``/work/shared/seed/import-contacts.txt`` in the project's notes). Placeholders (``{{host}}``,
``<token>``...) and redacted digits (``xxxxx``) are as printed; ``tests/test_vendor_samples.py``
fills them in and sends the requests with real curl.

Where a printed command cannot run as printed in a shell, the sample carries the smallest
``corrections`` that make it run, each with its reason; nothing else is changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PAGES = "github.com/Koredotcom/docs docs/xo/apis/contact-center/{page} at {commit}"


@dataclass(frozen=True)
class Correction:
    printed: str
    runnable: str
    why: str


@dataclass(frozen=True)
class Sample:
    name: str
    source: str  # where the text was copied from
    request: str  # the curl command as printed
    response: str  # the sample response as printed
    corrections: tuple[Correction, ...] = field(default=())


def page(name: str, commit: str) -> str:
    return PAGES.format(page=name, commit=commit)


IMPORT_SEED = Sample(
    name="import (docs.kore.ai rendering)",
    source="docs.kore.ai, ai-for-service/apis/contact-center/create-bulk-contacts (the seed copy)",
    request="""\
curl --location --request POST
     'https://{{host}}/agentassist/api/v1/public/{{IID}}/contacts/import-contacts' \\
      --header 'authority: smartassist.kore.ai' \\
      --header 'accept: application/json, text/plain, */*' \\
      --header 'accountid: 63c7ebae6a2aef36de8fxxxx' \\
      --header 'content-type: application/json;charset=UTF-8' \\
      --header 'auth: <token>' \\
      --form 'result_file=@"/home/johnsmith/Documents/john/sample.csv"'
""",
    corrections=(
        Correction(
            "--request POST\n",
            "--request POST \\\n",
            "the first line lacks its continuation backslash (a shell would run 'curl' alone)",
        ),
    ),
    response="""\
[
  {
    "status": "ACTIVE",
    "firstName": "john",
    "lastName": "doe",
    "salutation": "Mr",
    "accountId": "63ab016b0d909c22b2daxxxx",
    "orgId": "o-dd99e2e4-476f-5aa6-90ad-bd7a0b9bxxxx",
    "createdBy": "u-79cda73a-5947-536f-a1cc-3e939e84xxxx",
    "cellPhone": {
          "phoneNumber": "+9198765xxxxx",
          "countryCode": "+91",
          "extension": "+"
        },
        "fullName": "john doe",
        "address": [],
        "twitterDetails": [],
        "createdAt": "2023-01-18T10:53:35.622Z",
        "updatedAt": "2023-01-18T10:53:35.622Z",
        "id": "63c7cfaf196ce928529bxxxx"
  },
  {
    "status": "ACTIVE",
    "firstName": "jane",
    "lastName": "doe",
    "salutation": "Mrs",
    "accountId": "63ab016b0d909c22b2daxxxx",
    "orgId": "o-dd99e2e4-476f-5aa6-90ad-bd7a0b9bxxxx",
    "createdBy": "u-79cda73a-5947-536f-a1cc-3e939e84xxxx",
    "cellPhone": {
       "phoneNumber": "+9112345xxxxx",
       "countryCode": "+91",
       "extension": "91"
   },
   "fullName": "jane doe",
   "address": [],
   "twitterDetails": [],
   "createdAt": "2023-01-18T10:53:35.622Z",
   "updatedAt": "2023-01-18T10:53:35.622Z",
   "id": "63c7cfaf196ce928529bxxxx"
  }
]
""",
)

# The repository's copy of the same page: the browser's headers of the request it was taken from.
# Its cookie and sec-ch-ua values are broken over several lines; curl would send those line
# breaks inside the header values (malformed HTTP for any server), so they are joined.
IMPORT_BROWSER = Sample(
    name="import (repository page, the browser's headers)",
    source=page("create-bulk-contacts.md", "1f9f3acb23de6300e9d6586901320e7da433f38a"),
    request="""\
curl --location --request POST
     'https://{{host}}/agentassist/api/v1/public/{{IID}}/contacts/import-contacts' \\
      --header 'authority: smartassist.kore.ai' \\
      --header 'accept: application/json, text/plain, */*' \\
      --header 'accept-language: en-GB,en;q=0.6' \\
      --header 'accountid: 63c7ebae6a2aef36de8fxxxx' \\
      --header 'app-language: en' \\
      --header 'content-type: application/json;charset=UTF-8' \\
      --header 'cookie:
      mp_047a11cecb5356a4a4d5b3807d280766_mixpanel=%7B%22distinct_id%22%3A%20%
22185c4ee76476b6-06c5d613d9143b-1e462c6d-1fa400-185c4ee764897d%22%2C%22%24device_id%22%3A%20%22185c4ee76476b6-06c5d613d9143
b-1e462c6d-1fa400-185c4ee764897d%22%7D; mp_7888bdd5fedfd65f44bb9a3100fa9e80_mixpanel=%7B%22distinct_id%22%3A%20%22185c96da
2076ba-0f4b0a432b9049-1e462c6d-1fa400-185c96da208b46%22%2C%22%24device_id%22%3A%20%22185c96da2076ba-0f4b0a432b9049-1e462c6
d-1fa400-185c96da208b46%xxxxx' \\
      --header 'referer: https://smartassist.kore.ai/desktop/console' \\
      --header 'sec-ch-ua: "Not_A Brand";v="99", "Brave";v="109", 
      "Chromium";v="109"' \\
      --header 'sec-ch-ua-mobile: ?0' \\
      --header 'sec-ch-ua-platform: "Linux"' \\
      --header 'sec-fetch-dest: empty' \\
      --header 'sec-fetch-mode: cors' \\
      --header 'sec-fetch-site: same-origin' \\
      --header 'sec-gpc: 1' \\
      --header 'smartassist: true' \\
      --header 'state: configured' \\
      --header 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36' \\
      --header 'x-request-id: ed914d3f-9985-47a5-8ab2-84573c68xxxx' \\
      --header 'x-timezone-offset: -330' \\
      --header 'auth: <token>' \\
      --form 'result_file=@"/home/johnsmith/Documents/john/sample.csv"'
""",
    corrections=(
        Correction(
            "--request POST\n",
            "--request POST \\\n",
            "the first line lacks its continuation backslash",
        ),
        Correction(
            "'cookie:\n      mp_",
            "'cookie: mp_",
            "a header value broken over lines (curl would send the line breaks)",
        ),
        Correction("%20%\n22185c4", "%20%22185c4", "the same cookie value, joined"),
        Correction("d9143\nb-1e4", "d9143b-1e4", "the same cookie value, joined"),
        Correction("22185c96da\n2076ba", "22185c96da2076ba", "the same cookie value, joined"),
        Correction("1e462c6\nd-1fa", "1e462c6d-1fa", "the same cookie value, joined"),
        Correction(
            '"Brave";v="109", \n      "Chromium"',
            '"Brave";v="109", "Chromium"',
            "the sec-ch-ua value, joined",
        ),
    ),
    response=IMPORT_SEED.response,
)

CREATE = Sample(
    name="create",
    source=page(
        "create-a-contact-by-giving-details.md", "a0cc73ba2376103613cc22bb7974a72e7e4b414f"
    ),
    request="""\
curl --location --request POST 'https://{{host}}/agentassist/api/v1/public/{{streamId}}/contacts' \\
      --header 'auth: {jwt-code}' \\
      --header 'accountId:123456789'
      --header 'Content-Type: application/json' \\
[
     {
       "firstName": "John",
       "lastName": "Doe",
       "salutation": "Mr",
       "cellPhone": {
            "phoneNumber": "98765xxxxx",
            "countryCode": "+91",
            "extension": "+"
        }
     }
]
""",
    corrections=(
        Correction(
            "'accountId:123456789'\n",
            "'accountId:123456789' \\\n",
            "the accountId line lacks its continuation backslash",
        ),
        Correction(
            "application/json' \\\n[",
            "application/json' \\\n--data '[",
            "the body is printed after the command, without --data",
        ),
        Correction("     }\n]\n", "     }\n]'\n", "(the closing quote of that --data)"),
    ),
    response="""\
[
  {
    "status": "ACTIVE",
    "firstName": "John",
    "lastName": "Doe",
    "salutation": "Mr",
    "cellPhone": {
          "phoneNumber": "+9198765xxxxx",
          "countryCode": "+91",
          "extension": "+"
        },
        "createdBy":
   "u-5304b2ff-3647-53eb-9ef1-7ae63175xxxx",
        "orgId":
   "o-acccb4e7-4378-564e-9822-3f5f8bf3xxxx",
        "accountId": "635ba2bbec8cd28846c7xxxx",
        "instanceBotId":
   "st-2c7f48ca-fe7c-5778-a903-2854a94cxxxx",
        "fullName": "John Doe",
        "address": [],
        "twitterDetails": [],
        "createdAt": "2023-01-18T10:21:05.318Z",
        "updatedAt": "2023-01-18T10:21:05.318Z",
        "id": "63c7c8119187ebc8bae1xxxx"
  }
]
""",
)

# The page's older revision: the same request, the URL on its own line (and ``{host}``).
CREATE_OLDER = Sample(
    name="create (older revision of the page)",
    source=page(
        "create-a-contact-by-giving-details.md", "0430e379a995e8654f2263bb7c6ec0f7e448a784"
    ),
    request="""\
curl --location --request POST \\
     'https://{host}/agentassist/api/v1/public/{{streamId}}/contacts'
      --header 'auth: {jwt-code}' \\
      --header 'accountId:123456789'
      --header 'Content-Type: application/json' \\
[
     {
       "firstName": "John",
       "lastName": "Doe",
       "salutation": "Mr",
       "cellPhone": {
            "phoneNumber": "98765xxxxx",
            "countryCode": "+91",
            "extension": "+"
        }
     }
]
""",
    corrections=(
        Correction(
            "/contacts'\n",
            "/contacts' \\\n",
            "the URL line lacks its continuation backslash",
        ),
        *CREATE.corrections,
    ),
    response=CREATE.response,
)

LIST = Sample(
    name="list",
    source=page("get-all-contacts.md", "d4cb5a415b1c7288b3cd86e09cea38369939c448"),
    request="""\
curl --location 'https://{{host}}/agentassist/api/v1/public/{{streamId}}/contacts' \\
--header 'Content-Type: application/json' \\
--header 'accountId: {{accountId}}' \\
--header 'auth: {{jwt_token}}'
""",
    response="""\
{
    "results": [
        {
            "firstName": "john",
            "lastName": "doe",
            "fullName": "john doe",
            "salutation": "mr",
            "cellPhone": {
                "extension": "+91",
                "phoneNumber": "+9195501xxxxx",
                "countryCode": "+91"
            },
            "status": "ACTIVE",
            "instanceBotId": "st-7dc994f0-4436-5134-9fa8-a942625xxxxx",
            "orgId": "o-16ff21d2-5d27-5fb2-b9bd-9fedb5fxxxxx",
            "accountId": "65f7d49a5dd06e2cefaxxxxx",
            "createdBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
            "createdByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx",
            "address": [],
            "twitterDetails": [],
            "createdAt": "2024-06-28T05:24:07.218Z",
            "updatedAt": "2026-01-05T09:16:34.633Z",
            "updatedBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
            "updatedByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx",
            "id": "667e48f7c8b972fc691xxxxx"
        },
        {
            "firstName": "john",
            "lastName": "doe_1",
            "fullName": "john doe_1",
            "salutation": "mr",
            "cellPhone": {
                "extension": "+",
                "phoneNumber": "+9124456xxxxx",
                "countryCode": "+91"
            },
            "status": "ACTIVE",
            "instanceBotId": "st-7dc994f0-4436-5134-9fa8-a942625xxxxx",
            "orgId": "o-16ff21d2-5d27-5fb2-b9bd-9fedb5fxxxxx",
            "accountId": "65f7d49a5dd06e2cefaxxxxx",
            "createdBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
            "createdByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx",
            "address": [],
            "twitterDetails": [],
            "createdAt": "2026-01-07T09:46:35.399Z",
            "updatedAt": "2026-01-07T09:46:35.399Z",
            "id": "695e2b7b786560d6a90xxxxx"
        }
    ],
    "skip": 0,
    "limit": 10,
    "hasMore": false,
    "totalPages": 1,
    "totalResults": 6
}
""",
)

UPDATE = Sample(
    name="update",
    source=page("update-a-contact.md", "d4cb5a415b1c7288b3cd86e09cea38369939c448"),
    request="""\
curl --location --request PUT 'https://{{host}}/agentassist/api/v1/public/{{streamId}}/contacts/{{id}}' \\
--header 'Content-Type: application/json' \\
--header 'accountId: 65f7d49a5dd06e2cefaxxxxx' \\
--header 'auth: {{jwt_token}}' \\
--data '{
    "firstName": "john",
    "lastName": "doe",
    "salutation": "mr",
    "cellPhone": {
        "phoneNumber": "95501xxxxx",
        "countryCode": "+91",
        "extension": "+"
    }
}
'
""",
    response="""\
{
    "firstName": "john",
    "lastName": "doe",
    "fullName": "john doe",
    "salutation": "mr",
    "cellPhone": {
        "extension": "+",
        "phoneNumber": "+9195501xxxxx",
        "countryCode": "+91"
    },
    "status": "ACTIVE",
    "instanceBotId": "st-7dc994f0-4436-5134-9fa8-a942625xxxxx",
    "orgId": "o-16ff21d2-5d27-5fb2-b9bd-9fedb5fxxxxx",
    "accountId": "65f7d49a5dd06e2cefaxxxxx",
    "createdBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
    "createdByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx",
    "address": [],
    "twitterDetails": [],
    "createdAt": "2024-06-28T05:24:07.218Z",
    "updatedAt": "2026-01-09T05:55:58.158Z",
    "updatedBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
    "updatedByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx",
    "id": "667e48f7c8b972fc691xxxxx"
}
""",
)

BULK_UPDATE = Sample(
    name="bulk update",
    source=page("update-bulk-contacts.md", "40a77d69f563769bc764cc60185c6625c85eacdc"),
    request="""\
curl --location --request PUT 'https://{{host}}/agentassist/api/v1/public/{{streamId}}/contacts/bulk-update' \\
--header 'Content-Type: application/json' \\
--header 'accountId: {{accountId}}' \\
--header 'auth: {{jwt_token}}' \\
--data '[
    {
        "id": "6964af60450340957c6xxxxx",
        "firstName": "john",
            "lastName": "doee",
            "fullName": "john doee",
            "salutation": "mr",
            "cellPhone": {
                "extension": "+",
                "phoneNumber": "24456xxxxx",
                "countryCode": "+91"
            }
    },
       {
        "id": "6964af806fc554153c0xxxxx",
        "firstName": "jane",
            "lastName": "do",
            "fullName": "jane do",
            "salutation": "mr",
            "cellPhone": {
                "extension": "+",
                "phoneNumber": "244567xxxxx",
                "countryCode": "+91"
            }
    }
]'
""",
    response="""\
{
    "totalRequested": 2,
    "successful": 2,
    "failed": 0,
    "successfulRecords": [
        {
            "id": "6964af60450340957c6xxxxx",
            "contact": {
                "_id": "6964af60450340957c6xxxxx",
                "firstName": "john",
                "lastName": "doe",
                "fullName": "john doe",
                "salutation": "mr",
                "cellPhone": {
                    "extension": "+",
                    "phoneNumber": "+9124456xxxxx",
                    "countryCode": "+91"
                },
                "status": "ACTIVE",
                "instanceBotId": "st-7dc994f0-4436-5134-9fa8-a942625xxxxx",
                "orgId": "o-16ff21d2-5d27-5fb2-b9bd-9fedb5fxxxxx",
                "accountId": "65f7d49a5dd06e2cefa45012",
                "createdBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
                "createdByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx",
                "address": [],
                "twitterDetails": [],
                "createdAt": "2026-01-12T08:22:56.321Z",
                "updatedAt": "2026-01-12T09:55:04.840Z",
                "updatedBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
                "updatedByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx"
            }
        },
        {
            "id": "6964af806fc554153c0xxxxx",
            "contact": {
                "_id": "6964af806fc554153c0xxxxx",
                "firstName": "jane",
                "lastName": "doe",
                "fullName": "jane doe",
                "salutation": "mr",
                "cellPhone": {
                    "extension": "+",
                    "phoneNumber": "+91244567xxxxx",
                    "countryCode": "+91"
                },
                "status": "ACTIVE",
                "instanceBotId": "st-7dc994f0-4436-5134-9fa8-a942625xxxxx",
                "orgId": "o-16ff21d2-5d27-5fb2-b9bd-9fedb5fxxxxx",
                "accountId": "65f7d49a5dd06e2cefaxxxxx",
                "createdBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
                "createdByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx",
                "address": [],
                "twitterDetails": [],
                "createdAt": "2026-01-12T08:23:28.413Z",
                "updatedAt": "2026-01-12T09:55:04.846Z",
                "updatedBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
                "updatedByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx"
            }
        }
    ],
    "failedRecords": []
}
""",
)

DELETE = Sample(
    name="delete",
    source=page("delete-a-contact.md", "c8c3ff6c4800ae5bbec3a119a46dd5f1693d7d96"),
    request="""\
curl --location --request DELETE 'https://{{host}}/agentassist/api/v1/public/{{streamId}}/contacts/{{id}} \\
--header 'Content-Type: application/json' \\
--header 'accountId: {{accountId}}' \\
--header 'auth: {{jwt_token}}'
""",
    corrections=(
        Correction(
            "/contacts/{{id}} \\\n",
            "/contacts/{{id}}' \\\n",
            "the URL's closing quote is missing",
        ),
    ),
    response="""\
{
    "firstName": "john",
    "lastName": "doe",
    "fullName": "john doe",
    "salutation": "mr",
    "cellPhone": {
        "extension": "+",
        "phoneNumber": "+9124456xxxxx",
        "countryCode": "+91"
    },
    "status": "INACTIVE",
    "instanceBotId": "st-7dc994f0-4436-5134-9fa8-a942625xxxxx",
    "orgId": "o-16ff21d2-5d27-5fb2-b9bd-9fedb5fxxxxx",
    "accountId": "65f7d49a5dd06e2cefaxxxxx",
    "createdBy": "u-cc6ebd6c-656c-5364-abfc-ad5f80exxxxx",
    "createdByAId": "a-6c63a33-c2a7-49e8-a5ab-82449c8xxxxx",
    "address": [],
    "twitterDetails": [],
    "createdAt": "2026-01-09T05:20:39.374Z",
    "updatedAt": "2026-01-09T09:19:37.307Z",
    "id": "69609027c1746a61429xxxxx"
}
""",
)

BULK_DELETE = Sample(
    name="bulk delete",
    source=page("bulk-delete-contacts.md", "c8c3ff6c4800ae5bbec3a119a46dd5f1693d7d96"),
    request="""\
curl --location --request DELETE 'https://{{host}}/agentassist/api/v1/public/{{streamId}}/contacts/bulk-delete' \\
--header 'Content-Type: application/json' \\
--header 'accountId: {{accountId}}' \\
--header 'auth: {{jwt_token}}' \\
--data '{
    "ids": [
      "6960cbe9b155d194e2fxxxxx",
      "6960cc07b155d194e2fxxxxx"
    ]
  }'
""",
    response="""\
{
    "totalRequested": 2,
    "successful": 2,
    "failed": 0,
    "successfulRecords": [
        {
            "id": "6960cbe9b155d194e2fxxxxx"
        },
        {
            "id": "6960cc07b155d194e2fxxxxx"
        }
    ],
    "failedRecords": []
}
""",
)
