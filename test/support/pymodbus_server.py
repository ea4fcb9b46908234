#!/usr/bin/python3
"""A pymodbus 3.0 server holding test values, as an independent Modbus peer for rackpilot's client.

usage: /usr/bin/python3 pymodbus_server.py MODE CASES_JSON
  MODE: tcp | rtu-over-tcp | rtu:/dev/pts/N:BAUD:PARITY
  CASES_JSON: [{"address": 0, "type": "f32", "order": "CDAB", "value": 1.5}, {"coil": 3, "value": true}, ...]
Values are encoded here with Python's struct module (independently of rackpilot's codecs) into
holding registers (and the same into input registers); coils as given. Prints one JSON line
{"port": N} (or {"ready": true} for serial) once it serves.
"""
import asyncio
import json
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

FORMATS = {"u16": ">H", "i16": ">h", "u32": ">I", "i32": ">i", "u64": ">Q", "i64": ">q", "f32": ">f", "f64": ">d"}


def words(case):
    """Register values of one case, in the case's word/byte order (Telegraf's names)."""
    if case["type"] == "string":
        raw = case["value"].encode("latin-1").ljust(case["registers"] * 2, b"\0")
    else:
        raw = struct.pack(FORMATS[case["type"]], case["value"])
    regs = [raw[i:i + 2] for i in range(0, len(raw), 2)]
    order = case.get("order", "ABCD")
    if len(regs) > 1 and order in ("CDAB", "DCBA"):
        regs.reverse()
    if order in ("BADC", "DCBA"):
        regs = [r[::-1] for r in regs]
    return [int.from_bytes(r, "big") for r in regs]


def context(cases):
    regs = [0] * 1024
    coils = [False] * 1024
    for c in cases:
        if "coil" in c:
            coils[c["coil"]] = bool(c["value"])
            continue
        for i, w in enumerate(words(c)):
            regs[c["address"] + i] = w
    slave = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, regs), ir=ModbusSequentialDataBlock(0, list(regs)),
        co=ModbusSequentialDataBlock(0, coils), di=ModbusSequentialDataBlock(0, [False] * 1024), zero_mode=True)
    return ModbusServerContext(slaves=slave, single=True)


async def main():
    mode, cases = sys.argv[1], json.loads(sys.argv[2])
    ctx = context(cases)
    if mode.startswith("rtu:"):
        _, port, baud, parity = mode.split(":")
        server = ModbusSerialServer(ctx, ModbusRtuFramer, port=port, baudrate=int(baud), parity=parity, bytesize=8, stopbits=1)
        await server.start()  # opens the port (serve_forever alone does not, in pymodbus 3.0)
        print(json.dumps({"ready": True}), flush=True)
        await server.serve_forever()
        return
    framer = ModbusRtuFramer if mode == "rtu-over-tcp" else ModbusSocketFramer
    server = ModbusTcpServer(ctx, framer, None, ("127.0.0.1", 0))
    task = asyncio.create_task(server.serve_forever())
    while server.server is None:
        await asyncio.sleep(0.01)
    print(json.dumps({"port": server.server.sockets[0].getsockname()[1]}), flush=True)
    await task


asyncio.run(main())
