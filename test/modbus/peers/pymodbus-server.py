#!/usr/bin/python3
"""A Modbus slave that is not ours (Debian python3-pymodbus 3.0) for gridgate's interop tests.

Usage: pymodbus-server.py rtu <pty path> | tcp <port (0 = any)>
Serves units 7 and 8 with the same map: holding registers 0..9 = 100..109 (contiguous), and a map
with holes at 100..108: registers 100, 101, 102, 104, 105, 106, 108 exist; 103 and 107 do not
(a read that touches them answers exception 02, Modbus app. protocol 7). Prints "ready <port>"
on stdout when it serves.
"""
import asyncio
import logging
import socket
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer

logging.basicConfig(level=logging.CRITICAL)

HOLES = {103, 107}


def unit_map(unit):
    values = {a: 100 + a for a in range(10)}
    for a in range(100, 109):
        if a not in HOLES:
            values[a] = unit * 1000 + a
    # zero_mode: the datastore keys are the protocol addresses (no +1 shift).
    return ModbusSlaveContext(
        hr=ModbusSparseDataBlock(values),
        ir=ModbusSparseDataBlock({a: a for a in range(10)}),
        co=ModbusSparseDataBlock({0: 0}),
        di=ModbusSparseDataBlock({0: 0}),
        zero_mode=True,
    )


async def main():
    context = ModbusServerContext(slaves={7: unit_map(7), 8: unit_map(8)}, single=False)
    kind, where = sys.argv[1], sys.argv[2]
    if kind == "rtu":
        server = await StartAsyncSerialServer(
            context=context, framer=ModbusRtuFramer, port=where, baudrate=115200, defer_start=True
        )
        await server.start()
        print("ready 0", flush=True)
        await server.serve_forever()
    else:
        port = int(where)
        if port == 0:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
        server = await StartAsyncTcpServer(
            context=context, framer=ModbusSocketFramer, address=("127.0.0.1", port), defer_start=True
        )
        print(f"ready {port}", flush=True)
        await server.serve_forever()


asyncio.run(main())
