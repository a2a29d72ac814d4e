/** Real receivers on 127.0.0.1 for the monitor tests: an HTTP server that records webhook posts and an SMTP server. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: the posted JSON, of any shape, read by the assertions
  body: any;
}

export interface HttpReceiver {
  url: (path: string) => string;
  port: number;
  received: Received[];
  on(path: string): Received[];
  close(): Promise<void>;
}

export async function httpReceiver(port = 0): Promise<HttpReceiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      let body: unknown = data;
      try {
        body = JSON.parse(data);
      } catch {
        /* keep the text */
      }
      received.push({ path: req.url ?? "/", headers: req.headers, body });
      res.writeHead(req.url?.includes("fail") ? 500 : 200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  const p = (server.address() as AddressInfo).port;
  return {
    port: p,
    url: (path) => `http://127.0.0.1:${p}${path}`,
    received,
    on: (path) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
  /** Headers and quoted-printable-decoded body text. */
  text: string;
}

export interface SmtpReceiver {
  port: number;
  mails: Mail[];
  close(): Promise<void>;
}

function decodeQp(s: string): string {
  const bytes = Buffer.from(
    s
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16))),
    "latin1",
  );
  return bytes.toString("utf8");
}

export async function smtpReceiver(): Promise<SmtpReceiver> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, cb) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (c: string) => (raw += c));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? (session.envelope.mailFrom as { address: string }).address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text: decodeQp(raw),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((r) => server.close(() => r())) };
}
