"""Chat through Switchyard with the official OpenAI Python SDK, plain and streamed.

    pip install openai
    python examples/clients/chat.py            # gateway on http://127.0.0.1:8080
"""

import os

from openai import OpenAI

client = OpenAI(
    base_url=os.environ.get("SWITCHYARD_URL", "http://127.0.0.1:8080/v1"),
    api_key=os.environ.get("SWITCHYARD_KEY", "unused"),
)
model = os.environ.get("MODEL", "gpt-4o-mini")

reply = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Say hello in French."}]
)
print(reply.choices[0].message.content, reply.usage)

stream = client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Count to five."}],
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        print(chunk.choices[0].delta.content, end="", flush=True)
    if chunk.usage:
        print("\nusage:", chunk.usage)
