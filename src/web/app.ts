/**
 * The dashboard's HTTP surface (hono): the pages, the assets, and a JSON API whose documents are the
 * commands' --json shapes (check, diff, build, verify). Requests are refused unless they carry the token
 * (when one is set) and name a loopback Host when bound to loopback (no DNS rebinding).
 */
import { timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { diffJson } from "../audit/diff.js";
import { checkJson } from "../audit/report.js";
import { LimitExceededError, SmimetrustError, UsageError } from "../errors.js";
import type { MonitorStore } from "../monitor/store.js";
import { APP_JS, CSS, ICON_SVG, THEME_JS } from "./assets.js";
import { layout, NAV, type Raw } from "./html.js";
import {
  type Dashboard,
  filterRows,
  forecast,
  inventoryCsv,
  inventoryJson,
  parseInventoryQuery,
} from "./model.js";
import {
  buildResult,
  chainPage,
  expiryPage,
  findingsPage,
  historyPage,
  inventoryPage,
  overviewPage,
  type PageContext,
  refusalResult,
  staleBanner,
  tryPage,
  verifyResult,
} from "./pages.js";
import { MAX_UPLOAD_BYTES, tryBuild, tryVerify, type Upload } from "./try.js";

export interface AppOptions {
  dashboard: Dashboard;
  store?: MonitorStore;
  database?: string;
  version: string;
  /** Every request must carry it (Authorization: Bearer, ?token= once, or the cookie that sets). */
  token?: string;
  /** Bound to loopback: only Host headers naming loopback are served. */
  loopbackOnly: boolean;
  /** The clock for Try it (build and verify judge expiry at this time). */
  now: () => number;
}

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;
const COOKIE = "smimetrust_token";

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === COOKIE) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

export function createApp(o: AppOptions): Hono {
  const app = new Hono();
  const pc: PageContext = { d: o.dashboard, store: o.store, database: o.database };

  app.use("*", async (c, next) => {
    if (o.loopbackOnly && !LOOPBACK_HOST.test(c.req.header("host") ?? ""))
      return c.text("smimetrust serve answers only to 127.0.0.1/localhost\n", 421);
    if (o.token) {
      const auth = c.req.header("authorization");
      const given =
        (auth?.startsWith("Bearer ") ? auth.slice(7) : undefined) ??
        c.req.query("token") ??
        cookieToken(c.req.header("cookie"));
      if (!given || !sameSecret(given, o.token))
        return c.text("smimetrust serve: a token is required (Authorization: Bearer, or ?token=)\n", 401, {
          "www-authenticate": "Bearer",
        });
      if (c.req.query("token") !== undefined && c.req.method === "GET") {
        // Keep it in a cookie and take it out of the address bar (and the history).
        const url = new URL(c.req.url);
        url.searchParams.delete("token");
        return c.body(null, 303, {
          location: url.pathname + url.search,
          "set-cookie": `${COOKIE}=${encodeURIComponent(o.token)}; HttpOnly; SameSite=Strict; Path=/`,
        });
      }
    }
    await next();
    c.header(
      "content-security-policy",
      "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    c.header("cache-control", "no-store");
  });

  const page = (c: Context, path: string, body: Raw) => {
    const title = NAV.find((n) => n.path === path)?.label ?? "smimetrust";
    return c.html(
      layout({
        title: path === "/" ? "Overview" : title,
        path,
        body,
        banner: staleBanner(pc),
        version: o.version,
        generatedAt: o.dashboard.now,
      }),
    );
  };

  // ---- assets ----
  const asset = (type: string, body: string) => (c: Context) =>
    c.body(body, 200, { "content-type": type, "cache-control": "max-age=3600" });
  app.get("/assets/app.css", asset("text/css; charset=utf-8", CSS));
  app.get("/assets/app.js", asset("text/javascript; charset=utf-8", APP_JS));
  app.get("/assets/theme.js", asset("text/javascript; charset=utf-8", THEME_JS));
  app.get("/assets/icon.svg", asset("image/svg+xml", ICON_SVG));
  app.get("/favicon.ico", (c) => c.redirect("/assets/icon.svg", 301));

  // ---- pages ----
  app.get("/", (c) => page(c, "/", overviewPage(pc)));
  app.get("/inventory", (c) =>
    page(c, "/inventory", inventoryPage(pc, parseInventoryQuery(new URL(c.req.url).searchParams))),
  );
  app.get("/expiry", (c) => page(c, "/expiry", expiryPage(pc)));
  app.get("/chain", (c) => page(c, "/chain", chainPage(pc)));
  app.get("/findings", (c) => page(c, "/findings", findingsPage(pc)));
  app.get("/history", (c) => {
    const num = (k: string) => (/^\d{1,9}$/.test(c.req.query(k) ?? "") ? Number(c.req.query(k)) : undefined);
    return page(c, "/history", historyPage(pc, num("from"), num("to")));
  });
  app.get("/try", (c) => page(c, "/try", tryPage(pc)));

  // ---- JSON API ----
  app.get("/api/check", (c) => c.json(checkJson(o.dashboard.certificates, o.dashboard.findings)));
  app.get("/api/inventory.json", (c) => {
    const rows = filterRows(o.dashboard, parseInventoryQuery(new URL(c.req.url).searchParams));
    return c.body(`${JSON.stringify(inventoryJson(rows), null, 2)}\n`, 200, {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": 'attachment; filename="inventory.json"',
    });
  });
  app.get("/api/inventory.csv", (c) => {
    const rows = filterRows(o.dashboard, parseInventoryQuery(new URL(c.req.url).searchParams));
    return c.body(inventoryCsv(rows), 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": 'attachment; filename="inventory.csv"',
    });
  });
  app.get("/api/forecast", (c) => {
    const f = forecast(o.dashboard);
    const b = (x: { label: string; start: number; end: number; count: number }) => ({
      label: x.label,
      from: new Date(x.start).toISOString(),
      until: new Date(x.end).toISOString(),
      count: x.count,
    });
    return c.json({ weeks: f.weeks.map(b), months: f.months.map(b) });
  });
  app.get("/api/diff", (c) => {
    const p = o.dashboard.pending;
    if (!p)
      return c.json(
        { error: { code: "ERR_NO_PENDING", message: "serve was started without --pending" } },
        404,
      );
    return c.json(diffJson(p.diff, p.breakage));
  });
  app.get("/api/history", (c) =>
    c.json({
      runs: (o.store?.runs(200) ?? []).map((r) => ({
        ...r,
        startedAt: new Date(r.startedAt).toISOString(),
        ...(r.finishedAt !== undefined ? { finishedAt: new Date(r.finishedAt).toISOString() } : {}),
      })),
    }),
  );

  // ---- Try it: in memory, nothing kept ----

  const tooLarge = () => new LimitExceededError(`uploads are limited to ${MAX_UPLOAD_BYTES} bytes`);
  const uploads = async (c: Context): Promise<{ files: Upload[]; flags: Set<string> }> => {
    const len = Number(c.req.header("content-length") ?? 0);
    if (len > MAX_UPLOAD_BYTES) throw tooLarge();
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      throw new UsageError(
        "the request body is not a form (multipart/form-data with 'file' or 'text' fields)",
      );
    }
    const files: Upload[] = [];
    const flags = new Set<string>();
    let total = 0;
    for (const [k, v] of form.entries()) {
      if (typeof v === "string") {
        if (k === "text" && v.trim()) files.push({ name: "pasted text", bytes: new TextEncoder().encode(v) });
        else if (v === "1") flags.add(k);
        continue;
      }
      const bytes = new Uint8Array(await v.arrayBuffer());
      total += bytes.length;
      if (total > MAX_UPLOAD_BYTES) throw tooLarge();
      if (bytes.length) files.push({ name: v.name || "upload", bytes });
    }
    return { files, flags };
  };
  const statusOf = (c: Context, e: SmimetrustError) => {
    if (!(e instanceof LimitExceededError)) return 400;
    // The rest of the body is not read: close the connection rather than leave it to the next request.
    c.header("connection", "close");
    return 413;
  };
  const answer = (c: Context, r: Raw, status: 200 | 400 | 413 = 200) =>
    c.req.header("x-fragment") ? c.html(r.html, status) : page(c, "/try", tryPage(pc, r));
  const refusal = (c: Context, kind: "build" | "verify", e: unknown) => {
    if (e instanceof SmimetrustError)
      return answer(c, refusalResult(kind, e.code, e.describe()), statusOf(c, e));
    throw e;
  };
  const jsonRefusal = (c: Context, e: unknown) => {
    if (e instanceof SmimetrustError) {
      const detail = (e as { toJson?: () => unknown }).toJson;
      return c.json(
        { error: typeof detail === "function" ? detail.call(e) : { code: e.code, message: e.describe() } },
        statusOf(c, e),
      );
    }
    throw e;
  };

  // The size limit holds for chunked bodies too (no Content-Length): reading stops at the limit.
  const limit = bodyLimit({
    maxSize: MAX_UPLOAD_BYTES,
    onError: (c) =>
      c.req.path.startsWith("/api/")
        ? jsonRefusal(c, tooLarge())
        : refusal(c, c.req.path.endsWith("verify") ? "verify" : "build", tooLarge()),
  });
  for (const path of ["/try/build", "/try/verify", "/api/build", "/api/build.sst", "/api/verify"])
    app.post(path, limit);

  app.post("/try/build", async (c) => {
    try {
      const { files, flags } = await uploads(c);
      return answer(
        c,
        buildResult(
          tryBuild(files, { now: o.now(), dropExpired: flags.has("dropExpired"), version: o.version }),
        ),
      );
    } catch (e) {
      return refusal(c, "build", e);
    }
  });
  app.post("/try/verify", async (c) => {
    try {
      const { files } = await uploads(c);
      if (!files.length) throw new UsageError("no message given: drop or choose a signed message");
      return answer(c, verifyResult(await tryVerify(files, o.dashboard.certificates, o.now())));
    } catch (e) {
      return refusal(c, "verify", e);
    }
  });
  app.post("/api/build", async (c) => {
    try {
      const { files, flags } = await uploads(c);
      const t = tryBuild(files, { now: o.now(), dropExpired: flags.has("dropExpired"), version: o.version });
      return c.json(t.json);
    } catch (e) {
      return jsonRefusal(c, e);
    }
  });
  app.post("/api/build.sst", async (c) => {
    try {
      const { files, flags } = await uploads(c);
      const t = tryBuild(files, { now: o.now(), dropExpired: flags.has("dropExpired"), version: o.version });
      return c.body(Uint8Array.from(t.result.bytes), 200, {
        "content-type": "application/vnd.ms-pkistl",
        "content-disposition": 'attachment; filename="trust.sst"',
      });
    } catch (e) {
      return jsonRefusal(c, e);
    }
  });
  app.post("/api/verify", async (c) => {
    try {
      const { files } = await uploads(c);
      if (!files.length) throw new UsageError("no message given");
      return c.json(await tryVerify(files, o.dashboard.certificates, o.now()));
    } catch (e) {
      return jsonRefusal(c, e);
    }
  });

  app.notFound((c) => c.text("not found\n", 404));
  app.onError((e, c) => c.text(`smimetrust serve: internal error: ${(e as Error).message ?? e}\n`, 500));
  return app;
}
