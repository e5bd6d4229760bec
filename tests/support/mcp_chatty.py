"""An MCP stdio server for tests that breaks the protocol as careless servers do: it
prints a banner on stdout before it answers (``--banner``), or a log line in the middle of
a call (its ``shout`` tool). Written by hand on JSON-RPC (the SDK's own server diverts
``print`` away from stdout), with only what a client needs: initialize, tools/list,
tools/call.

    python -m tests.support.mcp_chatty [--banner]
"""

from __future__ import annotations

import json
import sys

SHOUT = {
    "name": "shout",
    "description": "Say the word loudly.",
    "inputSchema": {"type": "object", "properties": {"word": {"type": "string"}}},
}


def answer(request: dict) -> dict | None:
    method, params = request.get("method"), request.get("params") or {}
    if "id" not in request:  # a notification
        return None
    if method == "initialize":
        result: dict = {
            "protocolVersion": params.get("protocolVersion"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "chatty", "version": "1.0"},
        }
    elif method == "tools/list":
        result = {"tools": [SHOUT]}
    elif method == "tools/call":
        word = str(params.get("arguments", {}).get("word", ""))
        print(f"shouting {word}", flush=True)  # the mistake: a log line on stdout
        result = {"content": [{"type": "text", "text": word.upper()}], "isError": False}
    else:
        return {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": "?"}}
    return {"jsonrpc": "2.0", "id": request["id"], "result": result}


def main() -> None:
    if "--banner" in sys.argv:
        print("Chatty MCP server 1.0 ready", flush=True)
    for line in sys.stdin:
        reply = answer(json.loads(line))
        if reply is not None:
            print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
