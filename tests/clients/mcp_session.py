"""One MCP session with `tenantry mcp`, driven by the official MCP Python SDK (`mcp` from PyPI)
over stdio, as an assistant drives it. Used by tests/e2e/gateway/mcp.rs.

Usage: mcp_session.py TENANTRY_BIN ROUNDS PAUSE_SECONDS ORG [ORG ...] [-- EXTRA_ARGS]

Lists the tools, lists the organisations, then for ROUNDS rounds reads each ORG's Organisation
record through `xero_get`, pausing between rounds (the test makes tokens expire meanwhile), reads
every organisation's at once through `xero_get_each` (and names an unknown one), then
tries a confirmed write through `xero_request` to the first ORG as an assistant might get it
right and wrong: a preview, its code spent on another organisation and then replayed, a second
code used for an altered body, a third used as previewed and then replayed, and a loose name.
Prints one JSON object saying what it saw.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters, stdio_client


def text_of(result):
    return "".join(getattr(block, "text", "") for block in result.content)


async def writes(session, orgs):
    """The write steps, each as {"is_error", "text"}; they stop where the tool is not served."""
    contact = {"Contacts": [{"Name": "Written By MCP"}]}
    said = {}

    async def step(name, organisation, body, code=None):
        args = {
            "organisation": organisation,
            "method": "PUT",
            "path": "/api.xro/2.0/Contacts",
            "body": body,
        }
        if code is not None:
            args["confirmation"] = code
        try:
            result = await session.call_tool("xero_request", args)
            said[name] = {"is_error": bool(result.is_error), "text": text_of(result)}
        except Exception as refused:  # the server does not know the tool at all
            said[name] = {"is_error": True, "text": str(refused)}
        return said[name]

    def code_of(answer):
        return json.loads(answer["text"])["confirmation"]

    first = await step("preview", orgs[0], contact)
    if first["is_error"]:
        return said
    code = code_of(first)
    await step("other_organisation", orgs[1], contact, code)
    await step("replayed_after_refusal", orgs[0], contact, code)
    code = code_of(await step("preview_2", orgs[0], contact))
    await step("altered_body", orgs[0], {"Contacts": [{"Name": "Someone Else"}]}, code)
    code = code_of(await step("preview_3", orgs[0], contact))
    await step("confirmed", orgs[0], contact, code)
    await step("replayed", orgs[0], contact, code)
    await step("loose_name", orgs[0].split()[0], contact)
    return said


async def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    binary, rounds, pause, orgs = argv[0], int(argv[1]), float(argv[2]), argv[3:]
    server = StdioServerParameters(command=binary, args=["mcp", *extra], env=dict(os.environ))
    seen = {"tools": [], "organisations": [], "reads": [], "failed": [], "writes": {}}
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
            every = await session.call_tool("xero_get_each", {"organisations": ["all"], "path": "/api.xro/2.0/Organisation"})
            if every.is_error:
                seen["each"] = {"error": text_of(every)}
            else:
                answer = json.loads(text_of(every))
                seen["each"] = {
                    "asked": [r["organisation"] for r in answer["results"]],
                    "answered": [r["body"]["Organisations"][0]["Name"] for r in answer["results"] if r["ok"]],
                    "cut": answer["cut"],
                }
            unknown = await session.call_tool("xero_get_each", {"organisations": [orgs[0], "Nowhere Ltd"], "path": "/api.xro/2.0/Organisation"})
            seen["each_unknown"] = {"is_error": bool(unknown.is_error), "text": text_of(unknown)}
            seen["writes"] = await writes(session, orgs)
    print(json.dumps(seen))


asyncio.run(main())
