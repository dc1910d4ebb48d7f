/**
 * The byte transport between the host and a board: one small interface (write, receive callback, discard
 * pending input, close) so the protocol session (host/session.ts) does not depend on how the bytes travel.
 * SerialTransport opens a serial device with the `serialport` package: a USB-UART of a real board, or the
 * pseudo-terminal of the Verilator-simulated board (sim/verilator/board-harness.ts --pty).
 *
 * (SerialPort.list() is never called: it needs udevadm.)
 */
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { UserError } from '../gen/cli-util.ts';

export interface Transport {
  /** for messages: the device path */
  readonly name: string;
  /** queue bytes for sending (returns when the OS has them; flow control is the session's job) */
  write(bytes: Uint8Array): Promise<void>;
  /** called with every chunk of received bytes, in order */
  onData(cb: (chunk: Uint8Array) => void): void;
  /** drop bytes received but not yet read (stale answers from an earlier session) */
  flushInput(): Promise<void>;
  /** wait until everything written has left the OS buffers (best effort) */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** Open a serial device. UserError (exit 2) when the path does not exist or cannot be opened. */
export async function openSerial(path: string, baudRate: number): Promise<Transport> {
  if (!existsSync(path)) throw new UserError(`--port ${path}: no such device (is the board plugged in? its FTDI UART is usually /dev/ttyUSB1 on the HX8K breakout and the iCEBreaker)`);
  const port = new SerialPort({ path, baudRate, dataBits: 8, stopBits: 1, parity: 'none', rtscts: false, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(new UserError(`--port ${path}: cannot open: ${e.message}`)) : res())));
  const listeners: ((chunk: Uint8Array) => void)[] = [];
  port.on('data', (d: Buffer) => {
    const chunk = new Uint8Array(d.buffer, d.byteOffset, d.length);
    for (const l of listeners) l(chunk);
  });
  // an error after opening (e.g. the device was unplugged) ends the session through the read timeout
  let lastError: Error | null = null;
  port.on('error', (e: Error) => (lastError = e));
  const done = (res: () => void, rej: (e: Error) => void) => (e: Error | null | undefined): void => (e ? rej(e) : res());
  return {
    name: path,
    write: (bytes) =>
      new Promise<void>((res, rej) => {
        if (lastError) {
          rej(new Error(`${path}: ${lastError.message}`));
          return;
        }
        port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), done(res, rej));
      }),
    onData: (cb) => void listeners.push(cb),
    flushInput: () => new Promise<void>((res, rej) => port.flush(done(res, rej))),
    drain: () => new Promise<void>((res, rej) => port.drain(done(res, rej))),
    close: () =>
      new Promise<void>((res) => {
        if (!port.isOpen) {
          res();
          return;
        }
        port.close(() => res());
      }),
  };
}
