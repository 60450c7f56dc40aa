"""One MCP session with `tenantry mcp`, driven by the official MCP Python SDK (`mcp` from PyPI)
over stdio, as an assistant drives it. Used by tests/e2e/gateway/mcp.rs.

Usage: mcp_session.py TENANTRY_BIN ROUNDS PAUSE_SECONDS ORG [ORG ...] [-- EXTRA_ARGS]

Lists the tools, lists the organisations, then for ROUNDS rounds reads each ORG's Organisation
record through `xero_get`, pausing between rounds (the test makes tokens expire meanwhile), and
tries a write through `xero_request`. Prints one JSON object saying what it saw.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters, stdio_client


def text_of(result):
    return "".join(getattr(block, "text", "") for block in result.content)


async def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    binary, rounds, pause, orgs = argv[0], int(argv[1]), float(argv[2]), argv[3:]
    server = StdioServerParameters(command=binary, args=["mcp", *extra], env=dict(os.environ))
    seen = {"tools": [], "organisations": [], "reads": [], "failed": [], "write": None}
    async with stdio_client(server) as streams:
        async with ClientSession(*streams) as session:
            await session.initialize()
            tools = await session.list_tools()
            seen["tools"] = sorted(t.name for t in tools.tools)
            listed = await session.call_tool("list_organisations", {})
            seen["organisations"] = json.loads(text_of(listed))
            for n in range(rounds):
                if n:
                    await asyncio.sleep(pause)
                for org in orgs:
                    result = await session.call_tool(
                        "xero_get", {"organisation": org, "path": "/api.xro/2.0/Organisation"}
                    )
                    if result.is_error:
                        seen["failed"].append(text_of(result))
                    else:
                        body = json.loads(text_of(result))
                        seen["reads"].append(body["Organisations"][0]["Name"])
            try:
                write = await session.call_tool(
                    "xero_request",
                    {
                        "organisation": orgs[0],
                        "method": "PUT",
                        "path": "/api.xro/2.0/Contacts",
                        "body": {"Contacts": [{"Name": "Written By MCP"}]},
                    },
                )
                seen["write"] = {"is_error": bool(write.is_error), "text": text_of(write)}
            except Exception as refused:  # the server does not know the tool at all
                seen["write"] = {"is_error": True, "text": str(refused)}
    print(json.dumps(seen))


asyncio.run(main())
