"""The translation as plain functions, under the standard library's unittest: the same
code the component runs, without building it.

    python3 -m unittest discover -s tests
"""

from __future__ import annotations

import json
import sys
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from translate.errors import ApiFailure  # noqa: E402
from translate.request import from_openai  # noqa: E402
from translate.response import to_openai  # noqa: E402
from translate.stamp import new_id  # noqa: E402
from translate.stream import Transformer  # noqa: E402


def data(*items) -> list[str]:
    return [item if isinstance(item, str) else json.dumps(item) for item in items]


CHUNK = {"id": "c", "object": "chat.completion.chunk", "created": 1700000000}
TEXT = {**CHUNK, "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}], "usage": None}
USAGE = {**CHUNK, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
BARE = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]}


class Requests(unittest.TestCase):
    def test_a_request_passes_through_with_the_upstream_model(self):
        body = json.dumps({"model": "mine", "messages": [{"role": "user", "content": "Hi"}], "tools": []}).encode()
        self.assertEqual(
            json.loads(from_openai(body, "upstream-model", False)),
            {"model": "upstream-model", "messages": [{"role": "user", "content": "Hi"}], "tools": []},
        )

    def test_a_streamed_request_forces_include_usage(self):
        body = json.dumps({"model": "m", "stream": True, "stream_options": {"x": 1}, "messages": []}).encode()
        self.assertEqual(json.loads(from_openai(body, "m", True))["stream_options"], {"x": 1, "include_usage": True})

    def test_a_body_that_is_not_a_json_object_is_a_400(self):
        for body in (b"{", b"[1]", b"\xff"):
            with self.assertRaises(ApiFailure) as caught:
                from_openai(body, "m", False)
            self.assertEqual((caught.exception.status, caught.exception.error_type), (400, "invalid_request_error"))


class Responses(unittest.TestCase):
    def test_a_complete_answer_passes_through_byte_for_byte_with_its_usage(self):
        usage = {"prompt_tokens": 5, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 2}}
        body = json.dumps({"id": "x", "object": "chat.completion", "created": 1700000000, "choices": [], "usage": usage}).encode()
        out, counted = to_openai(200, [], body)
        self.assertIs(out, body)
        self.assertEqual(counted, {"prompt_tokens": 5, "completion_tokens": 7, "cached_tokens": 2, "reasoning_tokens": None})

    def test_errors_keep_status_type_code_and_retry_after(self):
        body = json.dumps({"error": {"message": "slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}})
        with self.assertRaises(ApiFailure) as caught:
            to_openai(429, [("retry-after", "7")], body.encode())
        e = caught.exception
        self.assertEqual((e.status, e.message, e.error_type, e.code, e.retry_after), (429, "slow down", "requests", "rate_limit_exceeded", 7))

        with self.assertRaises(ApiFailure) as caught:
            to_openai(404, [], b"<html>no</html>")
        e = caught.exception
        self.assertEqual((e.status, e.code, e.message), (404, "model_not_found", "upstream answered HTTP 404: <html>no</html>"))

        with self.assertRaises(ApiFailure) as caught:
            to_openai(200, [], b"nope")
        self.assertEqual(caught.exception.status, 502)

    def test_a_completion_without_id_object_or_created_gets_them_from_the_clock(self):
        with mock.patch("time.time", return_value=1_700_000_000.25):
            first = json.loads(to_openai(200, [], json.dumps(BARE).encode())[0])
        self.assertEqual(list(first), ["id", "object", "created", "choices"], "the filled fields come first")
        self.assertEqual((first["object"], first["created"]), ("chat.completion", 1_700_000_000))
        self.assertRegex(first["id"], r"^chatcmpl-[0-9a-z]{20,}$")

        with mock.patch("time.time", return_value=1_700_000_061.75):
            second = json.loads(to_openai(200, [], json.dumps({**BARE, "id": None}).encode())[0])
        self.assertEqual(second["created"], 1_700_000_061, "created moves with the clock")
        self.assertNotEqual(second["id"], first["id"])

        kept = json.loads(to_openai(200, [], json.dumps({**BARE, "created": 5}).encode())[0])
        self.assertEqual(kept["created"], 5, "the platform's own created is kept")

    def test_ids_differ_within_one_millisecond(self):
        with mock.patch("time.time", return_value=1_700_000_000.0):
            self.assertEqual(len({new_id() for _ in range(100)}), 100)


class Streams(unittest.TestCase):
    def test_forced_usage_is_hidden_from_clients_that_did_not_ask(self):
        stream = Transformer(include_usage=False)
        chunks, usage = stream.push(data(TEXT, USAGE, "[DONE]"))
        self.assertEqual(len(chunks), 1)
        self.assertEqual(json.loads(chunks[0]), {k: v for k, v in TEXT.items() if k != "usage"})
        self.assertEqual(usage["prompt_tokens"], 3, "usage is still accounted")
        self.assertEqual(stream.finish()[0], [])

    def test_usage_passes_to_clients_that_asked(self):
        chunks, _ = Transformer(include_usage=True).push(data(TEXT, USAGE))
        self.assertEqual(chunks, data(TEXT, USAGE), "complete chunks pass byte for byte")

    def test_a_stream_error_after_chunks_comes_with_the_next_call(self):
        stream = Transformer(include_usage=False)
        chunks, _ = stream.push(data(TEXT, {"error": {"message": "overloaded", "type": "server_error"}}))
        self.assertEqual(len(chunks), 1)
        with self.assertRaises(ApiFailure) as caught:
            stream.finish()
        self.assertEqual((caught.exception.status, caught.exception.message), (502, "overloaded"))
        with self.assertRaises(ApiFailure) as caught:
            Transformer(include_usage=True).push(["garbage"])
        self.assertEqual(caught.exception.status, 502)

    def test_chunks_without_id_or_created_share_the_streams(self):
        def delta(content: str) -> dict:
            return {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}

        with mock.patch("time.time", return_value=1_700_000_000.5):
            stream = Transformer(include_usage=False)
        with mock.patch("time.time", return_value=1_700_000_003.0):
            chunks = [json.loads(c) for c in stream.push(data(delta("a"), delta("b")))[0]]
        self.assertEqual(len(chunks), 2)
        for chunk in chunks:
            self.assertEqual((chunk["object"], chunk["created"]), ("chat.completion.chunk", 1_700_000_000))
            self.assertEqual(chunk["id"], chunks[0]["id"], "one id per stream")

        with mock.patch("time.time", return_value=1_700_000_005.0):
            following = json.loads(Transformer(include_usage=False).push(data(delta("c")))[0][0])
        self.assertEqual(following["created"], 1_700_000_005)
        self.assertNotEqual(following["id"], chunks[0]["id"])


if __name__ == "__main__":
    unittest.main()
