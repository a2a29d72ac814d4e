import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MalformedInputError } from "../../src/errors.js";
import {
  createSst,
  decodeFriendlyName,
  isSst,
  PROP,
  readSst,
  sstCertificates,
  writeSst,
} from "../../src/formats/sst.js";
import { digest, hexUpper } from "../../src/lib/bytes.js";
import { Certificate } from "../../src/x509/certificate.js";
import { intermediate, root } from "../helpers/pki.js";
import { FIXTURES, fixture, manifest } from "./fixtures.js";

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function record(id: number, value: Uint8Array, encoding = 1): Uint8Array {
  return Buffer.concat([u32(id), u32(encoding), u32(value.length), value]);
}

const HEADER = Uint8Array.of(0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54);
const END = new Uint8Array(12);

function malformed(bytes: Uint8Array): MalformedInputError {
  try {
    readSst(bytes, "x.sst");
  } catch (e) {
    expect(e).toBeInstanceOf(MalformedInputError);
    return e as MalformedInputError;
  }
  throw new Error("expected readSst to refuse the input");
}

describe("readSst on the Windows-made stores in test/corpora/sst", () => {
  it("has all five fixtures", () => {
    expect(manifest.map((m) => m.file).sort()).toEqual(
      [
        "GeekDuanLian_windows-cert-sync_pinrules.sst",
        "GeekDuanLian_windows-cert-sync_root.sst",
        "dotnet_runtime_StoreSavedAsSerializedStoreData.sst",
        "t0rik_winrootCAupdate_roots.sst",
        "zcrypto_test_disallowedcert.sst",
      ].sort(),
    );
  });

  for (const m of manifest) {
    describe(m.file, () => {
      const bytes = fixture(m.file);

      it("has the manifest's size and is recognised as .sst", () => {
        expect(bytes.length).toBe(m.bytes);
        expect(isSst(bytes)).toBe(true);
      });

      it("parses to exactly the manifest's certificates, in order", () => {
        const store = readSst(bytes, m.file);
        const certs = sstCertificates(store);
        expect(certs.length).toBe(m.certificates);
        expect(store.elements.length - certs.length).toBe(m.crls_ctls);
        expect(certs.map((e) => hexUpper(digest("sha1", e.value)))).toEqual(m.sha1);
        // Every certificate is real DER our Certificate class accepts, at the offset the store gives.
        for (const e of certs) {
          const c = new Certificate(e.value, e.offset + 12);
          expect(c.sha1).toBe(hexUpper(digest("sha1", e.value)));
        }
        expect(store.hasEndRecord).toBe(true);
        expect(store.trailingProperties).toEqual([]);
      });

      it("has exactly the manifest's property ids with their counts", () => {
        const store = readSst(bytes, m.file);
        const counts: Record<string, number> = {};
        for (const e of store.elements) for (const p of e.properties) counts[p.id] = (counts[p.id] ?? 0) + 1;
        expect(counts).toEqual(m.property_ids);
      });

      it("property 3, where present, is the SHA-1 of the certificate that follows", () => {
        const store = readSst(bytes, m.file);
        for (const e of store.elements) {
          for (const p of e.properties.filter((q) => q.id === PROP.sha1Hash))
            expect(hexUpper(p.value)).toBe(hexUpper(digest("sha1", e.value)));
        }
      });

      it("writes back byte for byte", () => {
        const out = writeSst(readSst(bytes, m.file));
        expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
      });
    });
  }

  it("keeps empty property values (ids 104 and 126 in the Windows Update root store)", () => {
    const store = readSst(fixture("GeekDuanLian_windows-cert-sync_root.sst"));
    const empties = new Set<number>();
    for (const e of store.elements) for (const p of e.properties) if (p.value.length === 0) empties.add(p.id);
    expect(empties.has(104) || empties.has(126)).toBe(true);
  });

  it("reads friendly names (property 11) as UTF-16LE", () => {
    const store = readSst(fixture("GeekDuanLian_windows-cert-sync_root.sst"));
    const names = store.elements
      .map((e) => e.properties.find((p) => p.id === PROP.friendlyName))
      .filter((p) => p !== undefined);
    expect(names.length).toBe(507);
    for (const p of names) expect(decodeFriendlyName(p!.value)).toMatch(/^[\x20-\uffff]+$/);
  });

  it("finds the key-provider property (id 2) in the .NET store", () => {
    const store = readSst(fixture("dotnet_runtime_StoreSavedAsSerializedStoreData.sst"));
    expect(store.elements.some((e) => e.properties.some((p) => p.id === PROP.keyProviderInfo))).toBe(true);
  });
});

describe("records the reader keeps as found", () => {
  const a = root("CN=SST Test Root A").der;
  const b = root("CN=SST Test Root B").der;

  it("reads CRL (33) and CTL (34) records with their properties, and unknown property ids, and writes them back", () => {
    const bytes = Buffer.concat([
      HEADER,
      record(3, digest("sha1", a)),
      record(4242, Uint8Array.of(1, 2, 3), 7),
      record(32, a),
      record(33, Uint8Array.of(0x30, 0x00)),
      record(126, new Uint8Array(0)),
      record(34, Uint8Array.of(0x30, 0x01, 0x05)),
      END,
    ]);
    const store = readSst(bytes);
    expect(store.elements.map((e) => e.kind)).toEqual(["certificate", "crl", "ctl"]);
    expect(store.elements[0].properties.map((p) => [p.id, p.encoding])).toEqual([
      [3, 1],
      [4242, 7],
    ]);
    expect(store.elements[2].properties.map((p) => [p.id, p.value.length])).toEqual([[126, 0]]);
    expect(Buffer.from(writeSst(store)).equals(bytes)).toBe(true);
  });

  it("reads the empty store (20 bytes)", () => {
    const bytes = Buffer.concat([HEADER, END]);
    const store = readSst(bytes);
    expect(store.elements).toEqual([]);
    expect(Buffer.from(writeSst(store)).equals(bytes)).toBe(true);
    expect(createSst([]).length).toBe(20);
  });

  it("accepts a store without the end record and writes it back without one", () => {
    const bytes = Buffer.concat([HEADER, record(32, a)]);
    const store = readSst(bytes);
    expect(store.hasEndRecord).toBe(false);
    expect(Buffer.from(writeSst(store)).equals(bytes)).toBe(true);
  });

  it("createSst writes property 3, then 11 when asked, then the certificate; never property 2", () => {
    const plain = readSst(createSst([{ der: a }, { der: b }]));
    expect(plain.elements.map((e) => e.properties.map((p) => p.id))).toEqual([[3], [3]]);
    expect(plain.elements.map((e) => hexUpper(e.value))).toEqual([hexUpper(a), hexUpper(b)]);
    expect(hexUpper(plain.elements[0].properties[0].value)).toBe(hexUpper(digest("sha1", a)));
    const named = readSst(createSst([{ der: a, friendlyName: "Contoso Root CA" }, { der: b }]));
    expect(named.elements.map((e) => e.properties.map((p) => p.id))).toEqual([[3, 11], [3]]);
    expect(decodeFriendlyName(named.elements[0].properties[1].value)).toBe("Contoso Root CA");
    // UTF-16LE with the NUL terminator, as Windows writes it.
    expect(hexUpper(named.elements[0].properties[1].value).endsWith("0000")).toBe(true);
    expect(named.elements[0].properties[1].value.length).toBe(("Contoso Root CA".length + 1) * 2);
  });

  it("createSst of a .NET store's certificates drops property 2", () => {
    const store = readSst(fixture("dotnet_runtime_StoreSavedAsSerializedStoreData.sst"));
    const rebuilt = readSst(createSst(sstCertificates(store).map((e) => ({ der: e.value }))));
    for (const e of rebuilt.elements) expect(e.properties.map((p) => p.id)).toEqual([3]);
  });

  it("an intermediate and a root written by createSst are read back in the same order", () => {
    const r = root("CN=Order Root");
    const i = intermediate("CN=Order Issuing", r);
    const store = readSst(createSst([{ der: r.der }, { der: i.der }]));
    expect(store.elements.map((e) => hexUpper(digest("sha1", e.value)))).toEqual([r.cert.sha1, i.cert.sha1]);
  });
});

describe("readSst refuses broken stores with the byte offset of the fault", () => {
  const pin = fixture("GeekDuanLian_windows-cert-sync_pinrules.sst");
  // Record boundaries of the pinrules store: offsets where each record header starts.
  const boundaries: number[] = [];
  {
    const dv = new DataView(pin.buffer, pin.byteOffset, pin.byteLength);
    let pos = 8;
    while (pos < pin.length) {
      boundaries.push(pos);
      const id = dv.getUint32(pos, true);
      if (id === 0) break;
      pos += 12 + dv.getUint32(pos + 8, true);
    }
  }

  it("the fixture has the records we expect (12 x (property 3 + certificate) + end)", () => {
    expect(boundaries.length).toBe(25);
    expect(boundaries[24]).toBe(pin.length - 12);
  });

  it("refuses an empty or short file and a bad header at byte 0", () => {
    expect(malformed(new Uint8Array(0)).offset).toBe(0);
    expect(malformed(HEADER.subarray(0, 7)).offset).toBe(0);
    const bad = Uint8Array.from(pin);
    bad[5] = 0x41; // "CART"
    const e = malformed(bad);
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/header/);
  });

  it("cut at every record boundary: the one after the end-record boundary is fine, others fail at the cut", () => {
    for (const b of boundaries.slice(0, -1)) {
      const cut = pin.subarray(0, b);
      // Cutting right after a certificate gives a store without an end record (loads on Windows);
      // cutting after a property leaves a property without its certificate: refused at the end.
      const prevIsCert =
        b > 8 &&
        new DataView(pin.buffer, pin.byteOffset).getUint32(boundaries[boundaries.indexOf(b) - 1], true) ===
          32;
      if (b === 8 || prevIsCert) {
        const s = readSst(cut);
        expect(s.hasEndRecord).toBe(false);
      } else {
        const e = malformed(cut);
        expect(e.offset).toBe(b);
        expect(e.message).toMatch(/without a certificate/);
      }
    }
  });

  it("cut mid-header and mid-value at every record: refused at that record's start", () => {
    for (let k = 0; k < boundaries.length - 1; k++) {
      const b = boundaries[k];
      for (const cutAt of [b + 1, b + 11, b + 12 + 1, boundaries[k + 1] - 1]) {
        if (cutAt <= b || cutAt >= boundaries[k + 1]) continue;
        const e = malformed(pin.subarray(0, cutAt));
        expect(e.offset, `cut at ${cutAt}`).toBe(b);
        expect(e.message).toMatch(
          cutAt < b + 12 ? /truncated record header/ : /claims \d+ bytes but only \d+ remain/,
        );
      }
    }
    // A cut inside the end record.
    const endAt = boundaries[24];
    expect(malformed(pin.subarray(0, endAt + 5)).offset).toBe(endAt);
  });

  it("every fixture, cut at every record boundary and inside every record: loads or fails exactly there", () => {
    // Exhaustive on the small stores; every 29th record of the two big Windows Update stores (time).
    for (const m of manifest) {
      const step = m.bytes > 200_000 ? 29 : 1;
      const bytes = fixture(m.file);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const recs: { at: number; id: number; end: number }[] = [];
      for (let pos = 8; pos < bytes.length; ) {
        const id = dv.getUint32(pos, true);
        const end = pos + 12 + dv.getUint32(pos + 8, true);
        recs.push({ at: pos, id, end });
        if (id === 0) break;
        pos = end;
      }
      let elements = 0;
      for (let k = 0; k < recs.length; k++) {
        const { at, id, end } = recs[k];
        const prev = recs[k - 1];
        if (k % step !== 0 && k !== recs.length - 1) {
          if (id >= 32 && id <= 34) elements++;
          continue;
        }
        const cut = bytes.subarray(0, at);
        if (k === 0 || (prev && prev.id >= 32 && prev.id <= 34)) {
          const s = readSst(cut);
          expect(s.elements.length).toBe(elements);
          expect(s.hasEndRecord).toBe(false);
        } else {
          expect(malformed(cut).offset, `${m.file} cut at ${at}`).toBe(at);
        }
        for (const inside of [at + 1, at + 11, at + 12 + 1, end - 1]) {
          if (inside > at && inside < end)
            expect(malformed(bytes.subarray(0, inside)).offset, `${m.file} cut at ${inside}`).toBe(at);
        }
        if (id >= 32 && id <= 34) elements++;
      }
      expect(elements).toBe(m.certificates + m.crls_ctls);
    }
  });

  it("refuses a length that runs past the end, at that record", () => {
    const bad = Uint8Array.from(pin);
    const at = boundaries[3];
    new DataView(bad.buffer).setUint32(at + 8, 0x7fffffff, true);
    const e = malformed(bad);
    expect(e.offset).toBe(at);
    expect(e.message).toMatch(/claims 2147483647 bytes/);
  });

  it("refuses bytes after the end record, at the first extra byte", () => {
    const bad = Buffer.concat([pin, Uint8Array.of(0xde, 0xad)]);
    const e = malformed(bad);
    expect(e.offset).toBe(pin.length);
    expect(e.message).toMatch(/2 bytes after the end record/);
  });

  it("refuses a non-zero end record", () => {
    const bad = Uint8Array.from(pin);
    bad[pin.length - 1] = 1;
    const e = malformed(bad);
    expect(e.offset).toBe(pin.length - 12);
  });

  it("refuses an empty certificate record", () => {
    const e = malformed(Buffer.concat([HEADER, record(32, new Uint8Array(0)), END]));
    expect(e.offset).toBe(8);
    expect(e.message).toMatch(/empty certificate/);
  });

  it("names the file in the error", () => {
    const e = malformed(HEADER.subarray(0, 3));
    expect(e.file).toBe("x.sst");
    expect(e.describe()).toMatch(/^x\.sst: malformed \.sst: .* \(at byte 0\)$/);
  });

  it("uses the vendored fixtures folder test/corpora/sst", () => {
    expect(FIXTURES).toBe(resolve(fileURLToPath(import.meta.url), "../../../test/corpora/sst"));
    expect(readFileSync(resolve(FIXTURES, "README.md"), "utf8")).toMatch(/serialized certificate stores/);
  });
});
