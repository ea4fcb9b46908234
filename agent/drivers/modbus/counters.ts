// Communication counters of a Modbus line and of each device on it. A device's counters count
// its own requests; the line's count everything on it, plus what belongs to the connection.

export interface ModbusCounters {
  requests: number;
  responses: number;
  timeouts: number;
  exceptions: number;
  crcErrors: number;
  badResponses: number;
  commErrors: number;
  busyRetries: number;
}

export interface LineCounters extends ModbusCounters {
  connects: number;
  reconnects: number;
  connectFailures: number;
  junkBytes: number;
  staleReplies: number;
}

export function zeroCounters(): ModbusCounters {
  return { requests: 0, responses: 0, timeouts: 0, exceptions: 0, crcErrors: 0, badResponses: 0, commErrors: 0, busyRetries: 0 };
}
