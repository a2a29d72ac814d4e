import { describe, expect, it } from "vitest";
import { diffTrustLists, replacementKind } from "../../src/audit/diff.js";
import { intermediate, root } from "../helpers/pki.js";

const DAY = 86_400_000;

describe("diffTrustLists", () => {
  it("sorts certificates into added, removed, replaced and unchanged", () => {
    const now = Date.UTC(2026, 0, 1);
    const keep = root("CN=Keep Root", { now });
    const gone = root("CN=Gone Root", { now });
    const fresh = root("CN=Fresh Root", { now });
    const ica1 = intermediate("CN=Issuing CA", keep, { now });
    const ica2 = intermediate("CN=Issuing CA", keep, { now: now + 30 * DAY });
    const d = diffTrustLists(
      [keep.cert, gone.cert, ica1.cert, keep.cert],
      [keep.cert, fresh.cert, ica2.cert],
    );
    expect(d.unchanged.map((c) => c.sha1)).toEqual([keep.cert.sha1]);
    expect(d.added.map((c) => c.sha1)).toEqual([fresh.cert.sha1]);
    expect(d.removed.map((c) => c.sha1)).toEqual([gone.cert.sha1]);
    expect(d.replaced).toHaveLength(1);
    expect(d.replaced[0].old.sha1).toBe(ica1.cert.sha1);
    expect(d.replaced[0].new.sha1).toBe(ica2.cert.sha1);
    expect(replacementKind(d.replaced[0])).toEqual(["new key", "new dates"]);
  });

  it("reports a same-key renewal as new dates only", () => {
    const now = Date.UTC(2026, 0, 1);
    const r = root("CN=Renewed Root", { now });
    const r2 = root("CN=Renewed Root", { now: now + DAY, key: r.key });
    const d = diffTrustLists([r.cert], [r2.cert]);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(replacementKind(d.replaced[0])).toEqual(["new dates"]);
  });

  it("identical lists have only unchanged certificates", () => {
    const r = root("CN=Same");
    const d = diffTrustLists([r.cert], [r.cert]);
    expect(d).toMatchObject({ added: [], removed: [], replaced: [] });
    expect(d.unchanged).toHaveLength(1);
  });
});
