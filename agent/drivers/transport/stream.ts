// A connected byte stream as a Modbus line sees it: a TCP socket (Modbus/TCP, RTU over TCP) or a
// serial port (RTU over RS-485). Small on purpose, so tests and hw-sim can supply their own.
//
// Contract: write() queues bytes and never throws (a failed write surfaces as close). onData and
// onClose are set once, by the stream's single owner. close() is idempotent and leads to exactly
// one onClose call (also when the peer or the OS closed the stream first).

export interface ByteStream {
  /** e.g. "tcp://10.0.0.5:502", "/dev/ttyUSB0" */
  readonly description: string;
  write(data: Buffer): void;
  onData(fn: (chunk: Buffer) => void): void;
  onClose(fn: (err?: Error) => void): void;
  close(): void;
}
