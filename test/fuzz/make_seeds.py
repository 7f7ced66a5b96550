#!/usr/bin/env python3
"""Writes the seed corpora in corpus/<target>/ (run from anywhere; idempotent).

fuzz_health_response and fuzz_iso8601 read their input through FuzzedDataProvider, which takes
strings from the front and integers from the back, so their seeds are laid out accordingly."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

SPEC_200 = b'''{
  "status": "ok",
  "checkedAt": "2026-06-27T10:00:00.000Z",
  "providers": {
    "gpt":        { "status": "ok" },
    "claude":     { "status": "ok" },
    "gemini":     { "status": "ok" },
    "grok":       { "status": "error" },
    "perplexity": { "status": "ok" }
  }
}'''
DEGRADED_200 = (b'{"status":"degraded","checkedAt":"2026-06-27T12:30:05.123456+02:00","providers":'
                b'{"gpt":{"status":"ok"},"mistral":{"status":"maintenance"},"grok":{"status":"error"}}}')
RATE_LIMITED = b'''{
  "error": {
    "code": "rate_limited",
    "message": "Rate limit exceeded. Slow down and retry.",
    "status": 429,
    "requestId": "req_a1b2c3d4"
  }
}'''
INVALID_KEY = (b'{"error":{"code":"invalid_api_key","message":"Invalid API key.","status":401,'
               b'"requestId":"req_0badkey0"}}')
UNKNOWN_CODE = b'{"error":{"code":"quota_melted","message":"Something new.","status":500}}'
HTML_503 = b'<html><head><title>503 Service Unavailable</title></head><body>nginx</body></html>'

# fuzz_health_response: common-status indices and header bits as in fuzz_health_response.cpp.
STATUS_INDEX = {200: 0, 201: 1, 204: 2, 299: 3, 301: 4, 302: 5, 400: 6, 401: 7, 402: 8, 403: 9,
                404: 10, 413: 11, 429: 12, 500: 13, 502: 14, 503: 15, 504: 16, 100: 17, 0: 18, 999: 19}
HEADERS = ["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After", "Location",
           "Content-Type"]


def health_seed(status, body, headers):
    present = 0
    front = b""
    for bit, name in enumerate(HEADERS):
        if name in headers:
            present |= 1 << bit
            front += headers[name] + b"\\\n"  # a backslash and another byte end the string
    return front + body + bytes([present, STATUS_INDEX[status], 1])


def http_seed(chunk, status_line, headers, body, content_length=True):
    head = status_line + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers)
    if content_length:
        head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    return bytes([chunk]) + head + b"\r\n" + body


def chunked(body, size=40):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


SEEDS = {
    "fuzz_health_response": {
        "spec_200": health_seed(200, SPEC_200, {"X-Request-Id": b"req_9f8e7d6c",
                                                "X-RateLimit-Limit": b"30",
                                                "X-RateLimit-Remaining": b"29",
                                                "Content-Type": b"application/json"}),
        "degraded_200": health_seed(200, DEGRADED_200, {"X-RateLimit-Remaining": b"0"}),
        "rate_limited_429": health_seed(429, RATE_LIMITED, {"Retry-After": b"12",
                                                            "X-RateLimit-Limit": b"30",
                                                            "X-RateLimit-Remaining": b"0"}),
        "invalid_key_401": health_seed(401, INVALID_KEY, {"X-Request-Id": b"req_header"}),
        "unknown_code_500": health_seed(500, UNKNOWN_CODE,
                                        {"Retry-After": b"Wed, 21 Oct 2026 07:28:00 GMT"}),
        "html_503": health_seed(503, HTML_503, {"Retry-After": b"Sun, 06 Nov 1994 08:49:37 GMT",
                                                "Content-Type": b"text/html"}),
        "redirect_302": health_seed(302, b"", {"Location": b"https://www.talkory.ai/"}),
        "truncated_200": health_seed(200, SPEC_200[:70], {}),
    },
    "fuzz_http_parse": {
        "spec_200": http_seed(0, b"HTTP/1.1 200 OK",
                              [(b"Content-Type", b"application/json"), (b"X-Request-Id", b"req_1"),
                               (b"X-RateLimit-Limit", b"30"), (b"X-RateLimit-Remaining", b"29")],
                              SPEC_200),
        "spec_200_split": http_seed(7, b"HTTP/1.1 200 OK", [(b"Content-Type", b"application/json")],
                                    SPEC_200),
        "chunked_200": http_seed(16, b"HTTP/1.1 200 OK", [(b"Transfer-Encoding", b"chunked")],
                                 chunked(DEGRADED_200), content_length=False),
        "rate_limited_429": http_seed(0, b"HTTP/1.1 429 Too Many Requests",
                                      [(b"Retry-After", b"12"), (b"Content-Type", b"application/json")],
                                      RATE_LIMITED),
        "html_503_eof": http_seed(0, b"HTTP/1.0 503 Service Unavailable",
                                  [(b"Content-Type", b"text/html")], HTML_503, content_length=False),
        "redirect_301": http_seed(3, b"HTTP/1.1 301 Moved Permanently",
                                  [(b"Location", b"https://api.talkory.ai/v1/health/llm")], b""),
    },
    # fuzz_iso8601: the last byte's low bit picks the real clock (1) or a fixed instant (0,
    # then the preceding eight bytes give it).
    "fuzz_iso8601": {
        "spec": b"2026-06-27T10:00:00.000Z\x01",
        "offset_colon": b"2026-06-27T12:30:05.123456789+02:00\x01",
        "offset_compact": b"1999-12-31t23:30:00-0530\x01",
        "leap_second": b"2016-12-31T23:59:60Z\x01",
        "lower_z": b"2026-01-01T00:00:00z\x01",
        "imf_future": b"Wed, 21 Oct 2026 07:28:00 GMT\x01",
        "imf_past": b"Sun, 06 Nov 1994 08:49:37 GMT\x01",
        "imf_fixed_now": b"Thu, 01 Jan 2026 00:00:10 GMT" + (1767225600).to_bytes(8, "little") + b"\x00",
        "delay_seconds": b"120\x01",
        "delay_ows": b" \t30 \x01",
        "big_integer": b"9223372036854775807\x01",
    },
    # fuzz_text_output: byte 0 = status index (low 3 bits: 200 400 401 404 429 500 503 302) and
    # printable() bound (high 5 bits); then the request id up to '\n'; then the body. 0x01 stands
    # for the key, 0x02 for "Bearer <key>".
    "fuzz_text_output": {
        "spec_200": bytes([0 | 16 << 3]) + b"req_9f8e7d6c\n" + SPEC_200,
        "hostile_200": bytes([0 | 31 << 3]) + b"req_\xc2\x9b\xe2\x80\xae\x01\n" +
        b'{"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{"gpt\\u009b31m'
        b'\\u202e\x02":{"status":"\\u2066ok\\u009b"},"\x1b[2J\xc2\x9b":{"status":"ok"}}}',
        "echoed_key_401": bytes([2 | 8 << 3]) + b"req_\x02\n" +
        b'{"error":{"code":"invalid_api_key","message":"bad key \x02\\u009b\\u202e",'
        b'"status":401,"requestId":"req_\x01"}}',
        "html_503": bytes([6 | 4 << 3]) + b"\xff\xfe\n" + HTML_503 + b"\x02\xc2\x85\xe2\x81\xa6",
    },
    "fuzz_base_url": {
        "default": b"\x00https://api.talkory.ai",
        "prefix": b"\x00https://gateway.example.com:8443/talkory/",
        "http_local": b"\x01http://127.0.0.1:8080",
        "ipv6": b"\x00https://[::1]:443/api/v2",
        "userinfo": b"\x00https://user:secret@api.talkory.ai",
        "query": b"\x00https://api.talkory.ai/?x=1#frag",
        "dots": b"\x00https://api.talkory.ai/a/%2e%2e/b",
        "bad_port": b"\x01http://localhost:99999",
    },
}

for target, seeds in SEEDS.items():
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
