/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core; no browser download): pages
 * load without console errors or requests leaving 127.0.0.1, filters survive a reload, drag and drop builds
 * the same .sst as `build`, a tampered message shows its verdict and hint, every control is reachable by
 * keyboard with a visible focus, and axe-core finds no serious violation in either theme.
 * With SMIMETRUST_SCREENSHOTS=1 it also writes docs/serve/*.png (each page, light and dark).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problem } from "../../src/problems.js";
import { cli, REPO_ROOT } from "../helpers/cli.js";
import { EX, type Fixture, LIST_IN_USE, makeFixture } from "./fixture.js";

// The browser's globals, for the functions page.evaluate runs in the page (this file compiles without the DOM lib).
// biome-ignore lint/suspicious/noExplicitAny: browser globals
declare const document: any, DataTransfer: any, DragEvent: any, File: any, getComputedStyle: any, atob: any;
// biome-ignore lint/suspicious/noExplicitAny: browser globals
type HTMLElement = any;

const CHROMIUM = process.env.SMIMETRUST_CHROMIUM ?? "/usr/bin/chromium";
const HAVE = existsSync(CHROMIUM);
const PAGES = ["/", "/inventory", "/expiry", "/chain", "/findings", "/history", "/try"];
const NOW = Date.now();

describe("browser prerequisites", () => {
  it(`chromium at ${CHROMIUM} (apt-get install chromium); required under CI`, () => {
    if (!HAVE && process.env.CI)
      throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`);
    if (!HAVE) console.warn(`skipping the browser tests: ${CHROMIUM} is missing (apt-get install chromium)`);
  });
});

describe.skipIf(!HAVE)("smimetrust serve in chromium", () => {
  let f: Fixture;
  let browser: Browser;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    f = await makeFixture(NOW);
    base = f.server.url.replace(/\/$/, "");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const context = await browser.newContext({
      viewport: { width: 1000, height: 800 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
    page.on("request", (r) => {
      const u = new URL(r.url());
      if (u.protocol === "data:" || u.protocol === "blob:") return;
      if (u.hostname !== "127.0.0.1") foreign.push(r.url());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await f?.cleanup();
  });

  it("every page loads in both themes with no console error and no request outside 127.0.0.1", async () => {
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const p of PAGES) {
        const r = await page.goto(base + p, { waitUntil: "load" });
        expect(r?.status(), p).toBe(200);
        await expect(page.locator("h1").textContent()).resolves.toBeTruthy();
      }
    }
    expect(consoleErrors).toEqual([]);
    expect(foreign).toEqual([]);
  });

  it("inventory filters and sorting are kept in the URL and survive a reload", async () => {
    await page.goto(`${base}/inventory`);
    await page.fill("input[name=q]", "northwind");
    await page.selectOption("select[name=role]", "ca");
    await Promise.all([page.waitForURL(/q=northwind/), page.click("button[type=submit]")]);
    await Promise.all([page.waitForURL(/sort=subject/), page.click("th >> text=Subject")]);
    const url = new URL(page.url());
    expect(url.searchParams.get("q")).toBe("northwind");
    expect(url.searchParams.get("role")).toBe("ca");
    await page.reload();
    expect(await page.inputValue("input[name=q]")).toBe("northwind");
    expect(await page.inputValue("select[name=role]")).toBe("ca");
    const subjects = await page.locator("tbody tr td:first-child").allTextContents();
    expect(subjects).toEqual([
      "CN=Northwind Issuing CA, O=Northwind Traders, C=US",
      "CN=Northwind Root CA, O=Northwind Traders, C=US",
    ]);
    expect(await page.locator("#count").textContent()).toBe("2 certificates of 7");
  });

  it("the theme toggle and the local-time switch work and are remembered", async () => {
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(`${base}/`);
    await page.click("#theme-toggle");
    expect(await page.getAttribute("html", "data-theme")).toBe("light");
    await page.click("#theme-toggle");
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    await page.reload();
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    await page.click("#theme-toggle");
    expect(await page.getAttribute("html", "data-theme")).toBeNull();
    await page.click("#time-toggle");
    expect(await page.textContent("#time-toggle")).toBe("Times: local");
    expect(await page.textContent("footer .tz-label")).toMatch(/^local time \(/);
    await page.click("#time-toggle");
    expect(await page.textContent("footer .tz-label")).toBe("UTC");
  });

  it("status is icon + word + colour everywhere, and reduced motion turns transitions off", async () => {
    for (const p of PAGES) {
      await page.goto(base + p);
      const badges = await page.evaluate(() =>
        [...document.querySelectorAll(".badge")].map((b: HTMLElement) => ({
          icon: b.querySelector("[aria-hidden=true]")?.textContent ?? "",
          word: (b.textContent ?? "")
            .replace(b.querySelector("[aria-hidden=true]")?.textContent ?? "", "")
            .trim(),
          colour: getComputedStyle(b).color,
        })),
      );
      for (const b of badges) {
        expect(b.icon, p).toMatch(/^[✗!i✓]$/);
        expect(b.word.length, p).toBeGreaterThan(1);
        expect(b.colour, p).not.toBe("");
      }
    }
    await page.goto(`${base}/`);
    const duration = () =>
      page.evaluate(() => getComputedStyle(document.querySelector(".tile")).transitionDuration);
    await page.emulateMedia({ reducedMotion: "no-preference" });
    expect(await duration()).not.toBe("0s");
    await page.emulateMedia({ reducedMotion: "reduce" });
    expect(await duration()).toBe("0s");
    await page.emulateMedia({ reducedMotion: "no-preference" });
  });

  async function dropFiles(selector: string, files: { name: string; bytes: Uint8Array }[]) {
    const data = files.map((x) => ({ name: x.name, b64: Buffer.from(x.bytes).toString("base64") }));
    await page.evaluate(
      ({ selector, data }) => {
        const dt = new DataTransfer();
        for (const d of data) {
          const bin = atob(d.b64);
          const u = new Uint8Array(bin.length);
          for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
          dt.items.add(new File([u], d.name));
        }
        const el = document.querySelector(selector)!;
        el.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
        el.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      { selector, data },
    );
  }

  it("drag and drop builds a .sst byte-identical to `smimetrust build` on the same files, with its apply script", async () => {
    const files = [...LIST_IN_USE.slice(0, 4), EX("certs/users/adele.vance.pem")];
    const out = join(f.dir, "cli-build.sst");
    expect((await cli(["build", ...files, "-o", out], { now: NOW })).code).toBe(0);
    await page.goto(`${base}/try`);
    await dropFiles(
      "#build-drop",
      files.map((p) => ({ name: p.split("/").pop()!, bytes: readFileSync(p) })),
    );
    await page.waitForSelector("#download-sst");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#download-sst")]);
    expect(dl.suggestedFilename()).toBe("trust.sst");
    const got = readFileSync((await dl.path())!);
    expect(got.equals(readFileSync(out))).toBe(true);
    expect(await page.textContent("#build-result")).toContain("1 not a CA");
    const [ds] = await Promise.all([page.waitForEvent("download"), page.click("#download-script")]);
    expect(ds.suggestedFilename()).toBe("apply-trust.ps1");
    const script = readFileSync((await ds.path())!, "utf8");
    const { createHash } = await import("node:crypto");
    expect(script).toContain(
      `$ExpectedTrustListSha256 = '${createHash("sha256").update(got).digest("hex").toUpperCase()}'`,
    );
  });

  it("dropping a tampered message shows the invalid verdict and its hint", async () => {
    await page.goto(`${base}/try`);
    await dropFiles("#verify-drop", [{ name: "tampered.eml", bytes: readFileSync(EX("mail/tampered.eml")) }]);
    await page.waitForSelector("#verify-result .verdict");
    const text = (await page.textContent("#verify-result"))!;
    expect(text).toContain("✗ invalid");
    expect(text).toContain("DIGEST_MISMATCH");
    expect(text).toContain(problem("DIGEST_MISMATCH").hint!);
    // and a good one is valid
    await page.goto(`${base}/try`);
    await dropFiles("#verify-drop", [{ name: "good.eml", bytes: readFileSync(EX("mail/good.eml")) }]);
    await page.waitForSelector("#verify-result .verdict");
    // valid (with a warning where revocation cannot be checked offline), never invalid
    expect(await page.textContent("#verify-result h3")).toMatch(/^\s*[✓!] valid good\.eml/);
  });

  it("keyboard only: Tab reaches every control of every page, each with a visible focus", async () => {
    for (const p of PAGES) {
      await page.goto(base + p);
      const controls = await page.evaluate(() => {
        const all = [
          ...document.querySelectorAll(
            "a[href], button, input:not([type=hidden]), select, textarea, summary",
          ),
        ];
        return all
          .filter((e) => e.offsetParent !== null || e.classList.contains("skip"))
          .map((e, i) => {
            e.dataset.kb = String(i);
            return String(i);
          });
      });
      expect(controls.length, p).toBeGreaterThanOrEqual(10);
      const reached = new Set<string>();
      const unfocused: string[] = [];
      for (let i = 0; i < controls.length + 5; i++) {
        await page.keyboard.press("Tab");
        const info = await page.evaluate(() => {
          const e = document.activeElement as HTMLElement | null;
          if (!e || e === document.body) return null;
          const s = getComputedStyle(e);
          const visible =
            (s.outlineStyle !== "none" && Number.parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== "none";
          return {
            kb: e.dataset.kb ?? "",
            visible,
            tag: `${e.tagName} ${e.textContent?.trim().slice(0, 30)}`,
          };
        });
        if (!info) continue;
        reached.add(info.kb);
        if (!info.visible) unfocused.push(info.tag);
      }
      expect(
        controls.filter((c) => !reached.has(c)),
        `${p}: controls Tab never reached`,
      ).toEqual([]);
      expect(unfocused, `${p}: focused without a visible outline`).toEqual([]);
    }
  });

  it("axe-core finds no serious or critical violation on any page, light and dark", async () => {
    const axe = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
    const bad: string[] = [];
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const p of PAGES) {
        await page.goto(base + p);
        await page.evaluate(axe);
        const v = (await page.evaluate(() =>
          (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: unknown[] }> } }).axe.run(
            {
              resultTypes: ["violations"],
            },
          ),
        )) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
        for (const x of v.violations)
          if (x.impact === "serious" || x.impact === "critical")
            bad.push(
              `${scheme} ${p}: ${x.id} (${x.impact}) at ${x.nodes
                .map((n) => n.target.join(" "))
                .slice(0, 3)
                .join(", ")}`,
            );
      }
    }
    expect(bad).toEqual([]);
  });

  it("screenshots every page, light and dark (into docs/serve/ with SMIMETRUST_SCREENSHOTS=1)", async () => {
    const dir =
      process.env.SMIMETRUST_SCREENSHOTS === "1"
        ? join(REPO_ROOT, "docs/serve")
        : mkdtempSync(join(tmpdir(), "smimetrust-shots-"));
    mkdirSync(dir, { recursive: true });
    await page.setViewportSize({ width: 1000, height: 720 });
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
      for (const p of PAGES) {
        await page.goto(base + p);
        if (p === "/try") {
          await dropFiles("#verify-drop", [
            { name: "tampered.eml", bytes: readFileSync(EX("mail/tampered.eml")) },
          ]);
          await page.waitForSelector("#verify-result .verdict");
          await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        }
        const name = p === "/" ? "overview" : p.slice(1);
        await page.screenshot({ path: join(dir, `${name}-${scheme}.png`) });
        const png = readFileSync(join(dir, `${name}-${scheme}.png`));
        expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
        expect(png.length).toBeGreaterThan(5000);
      }
    }
  });
});
