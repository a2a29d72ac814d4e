/**
 * Delivery to the sinks (the I/O edge of alerting). Each call sends one message to one sink and either
 * resolves or throws; the outbox decides what to retry.
 */
import nodemailer from "nodemailer";
import { redactSecrets, secretsOfUrl } from "../lib/redact.js";
import type { SinkConfig } from "./config.js";
import {
  emailPayload,
  logLines,
  type OutgoingMessage,
  slackPayload,
  teamsPayload,
  webhookPayload,
} from "./messages.js";

export interface SinkDeps {
  /** Where log-sink lines go (stderr in the CLI). */
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
  f: typeof fetch,
): Promise<void> {
  let res: Response;
  // fetch refuses a URL with user information: it is sent as Basic authentication instead.
  const target = new URL(url);
  const basic: Record<string, string> =
    target.username || target.password
      ? {
          authorization: `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString("base64")}`,
        }
      : {};
  target.username = "";
  target.password = "";
  try {
    res = await f(target.href, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "smimetrust-monitor",
        ...basic,
        ...headers,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`POST ${redact(url)}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  const text = await res.text().catch(() => "");
  if (res.status < 200 || res.status >= 300)
    throw new Error(`POST ${redact(url)}: HTTP ${res.status}${text ? ` ${text.slice(0, 200)}` : ""}`);
}

/**
 * The secrets of a sink's configuration: its URL's parts (user information, path, query), its headers'
 * values, its SMTP password. Every error a sink throws is cleaned of them (`redactSecrets`).
 */
export function sinkSecrets(sink: SinkConfig, env: NodeJS.ProcessEnv): string[] {
  switch (sink.type) {
    case "webhook":
      return [...secretsOfUrl(sink.url), ...Object.values(sink.headers ?? {})];
    case "teams":
    case "slack":
      return secretsOfUrl(sink.url);
    case "email": {
      const password = sink.passwordEnv ? env[sink.passwordEnv] : undefined;
      return password ? [password] : [];
    }
    default:
      return [];
  }
}

/** Webhook URLs carry secrets in their path or query: show only the origin. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}/…`;
  } catch {
    return "(url)";
  }
}

/**
 * Sends one message to one sink. Whatever fails (our check, fetch, undici or nodemailer, whose errors may
 * quote the URL or the credentials), the error thrown carries no secret of the sink.
 */
export async function deliver(
  m: OutgoingMessage,
  sink: SinkConfig,
  deps: SinkDeps,
  now: number,
): Promise<void> {
  try {
    await deliverRaw(m, sink, deps, now);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    throw new Error(redactSecrets(text, sinkSecrets(sink, deps.env)));
  }
}

async function deliverRaw(m: OutgoingMessage, sink: SinkConfig, deps: SinkDeps, now: number): Promise<void> {
  const f = deps.fetch ?? fetch;
  switch (sink.type) {
    case "webhook":
      return postJson(
        sink.url,
        webhookPayload(m, now),
        { "idempotency-key": m.id, ...(sink.headers ?? {}) },
        sink.timeoutMs ?? 10_000,
        f,
      );
    case "teams":
      return postJson(sink.url, teamsPayload(m, now), {}, sink.timeoutMs ?? 10_000, f);
    case "slack":
      return postJson(sink.url, slackPayload(m, now), {}, sink.timeoutMs ?? 10_000, f);
    case "email": {
      const password = sink.passwordEnv ? deps.env[sink.passwordEnv] : undefined;
      if (sink.passwordEnv && password === undefined)
        throw new Error(`the environment variable ${sink.passwordEnv} (SMTP password) is not set`);
      const transport = nodemailer.createTransport({
        host: sink.host,
        port: sink.port ?? (sink.secure ? 465 : 587),
        secure: sink.secure ?? false,
        requireTLS: sink.requireTLS ?? false,
        ...(sink.user ? { auth: { user: sink.user, pass: password ?? "" } } : {}),
        connectionTimeout: sink.timeoutMs ?? 10_000,
        greetingTimeout: sink.timeoutMs ?? 10_000,
        socketTimeout: sink.timeoutMs ?? 10_000,
      });
      try {
        const e = emailPayload(m, now);
        await transport.sendMail({
          from: sink.from,
          to: sink.to,
          subject: e.subject,
          text: e.text,
          ...(e.html ? { html: e.html } : {}),
          messageId: `<${m.id}@smimetrust.monitor>`,
          headers: { "X-Smimetrust-Idempotency-Key": m.id },
        });
      } catch (e) {
        throw new Error(
          `SMTP ${sink.host}:${sink.port ?? (sink.secure ? 465 : 587)}: ${(e as { code?: string }).code ?? ""} ${(e as Error).message}`.trim(),
        );
      } finally {
        transport.close();
      }
      return;
    }
    case "log":
      // A named log sink (one of several, routed) says which it is.
      for (const line of logLines(m, now)) deps.log(sink.name === "log" ? line : `${line} sink=${sink.name}`);
      return;
  }
}
