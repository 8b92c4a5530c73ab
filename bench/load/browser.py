"""The simulated workers' browser: `http.client`, a new connection per request and the
session cookie, nothing else.

The load run's clients share the machine's two cores with the server they measure,
and `requests` costs about 3.5 ms of CPU a page here (it reads the proxy settings and
netrc again for every request, and goes through its adapters, hooks and cookie jar),
which is CPU the server then does not get. This answers like the `requests`-based
`Site` of tests/harness/pages.py (`status_code`, `headers`, `text`, `json()`, no
redirect followed), so the workers' flow is the same either way.
"""
import http.client
import json
import urllib.parse
from http.cookies import SimpleCookie


class Answer:
    def __init__(self, status, headers, content):
        self.status_code = status
        self.headers = headers  # an email.message.Message: `get` ignores case
        self.content = content
        self._text = None

    @property
    def text(self):
        if self._text is None:
            self._text = self.content.decode("utf-8", "replace")
        return self._text

    def json(self):
        return json.loads(self.content)


class Browser:
    """A browser on a running server: paths rather than URLs, cookies kept."""

    def __init__(self, base_url, *, timeout=60):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, data=None, headers=None):
        headers = {"Connection": "close", "Accept-Encoding": "identity", **(headers or {})}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}"
                                          for name, value in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            self._keep(header)
        return Answer(response.status, response.headers, content)

    def _keep(self, header):
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or morsel["expires"].endswith("1970 00:00:00 GMT"):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data=None, headers=None):
        return self.request("POST", path, data=data, headers=headers)

    def close(self):
        self.cookies.clear()
