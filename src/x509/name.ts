import { hexLower } from "../lib/bytes.js";
import { type DerElement, DerReader, decodeOidEl, decodeString, TAG } from "../lib/der.js";
import { ATTR_LABEL, OID } from "../lib/oids.js";

export interface NameAttribute {
  type: string;
  /** The value as text (strings decoded; other types as '#' + hex of the DER). */
  value: string;
  /** ASN.1 tag of the value. */
  tag: number;
}

const STRING_TAGS = new Set<number>([
  TAG.UTF8String,
  TAG.PrintableString,
  TAG.T61String,
  TAG.IA5String,
  TAG.VisibleString,
  TAG.UniversalString,
  TAG.BMPString,
  0x12,
]);

/**
 * An X.500 distinguished name (RDNSequence). `rdns` is in DER order (country first, usually);
 * `key` is the RFC 5280 section 7.1 comparison form: case-folded, whitespace-collapsed strings,
 * so two names match exactly when their keys are equal.
 */
export class Name {
  readonly rdns: NameAttribute[][];
  readonly der: Uint8Array;
  private _key?: string;
  private _str?: string;
  private _display?: string;

  constructor(el: DerElement) {
    this.der = el.raw;
    this.rdns = [];
    const r = DerReader.of(el);
    while (!r.done) {
      const set = DerReader.of(r.expect(TAG.SET, "RelativeDistinguishedName"));
      const rdn: NameAttribute[] = [];
      while (!set.done) {
        const atv = set.sequence("AttributeTypeAndValue");
        const type = decodeOidEl(atv.read());
        const v = atv.read();
        rdn.push({
          type,
          tag: v.tag,
          value: STRING_TAGS.has(v.tag) ? decodeString(v) : `#${hexLower(v.raw)}`,
        });
      }
      this.rdns.push(rdn);
    }
  }

  get isEmpty(): boolean {
    return this.rdns.length === 0;
  }

  /** Comparison key (RFC 5280 7.1 / RFC 4518 simplified: case fold, trim, collapse spaces; RDN sets sorted). */
  get key(): string {
    if (this._key === undefined) {
      this._key = this.rdns
        .map((rdn) =>
          rdn
            .map((a) => `${a.type}=${STRING_TAGS.has(a.tag) ? prep(a.value) : a.value}`)
            .sort()
            .join("+"),
        )
        .join("/");
    }
    return this._key;
  }

  equals(other: Name): boolean {
    return this.key === other.key;
  }

  /** All values of one attribute type, in DER order. */
  get(type: string): string[] {
    const out: string[] = [];
    for (const rdn of this.rdns) for (const a of rdn) if (a.type === type) out.push(a.value);
    return out;
  }

  get commonName(): string | undefined {
    const cns = this.get(OID.commonName);
    return cns[cns.length - 1];
  }

  /** A short label for tables: CN, else OU, else O, else the whole name. */
  get display(): string {
    this._display ??=
      this.commonName ??
      this.get(OID.organizationalUnitName).at(-1) ??
      this.get(OID.organizationName).at(-1) ??
      this.toString();
    return this._display;
  }

  /** RFC 4514-style string, most specific first ("CN=…, O=…, C=…"). */
  toString(): string {
    if (this._str === undefined) {
      this._str = [...this.rdns]
        .reverse()
        .map((rdn) => rdn.map((a) => `${ATTR_LABEL[a.type] ?? a.type}=${escapeValue(a.value)}`).join(" + "))
        .join(", ");
    }
    return this._str;
  }

  /** True when this name is within `base` (base's RDNs are a prefix of ours): directoryName constraints. */
  isWithin(base: Name): boolean {
    if (base.rdns.length > this.rdns.length) return false;
    const mine = this.key.split("/");
    const theirs = base.key.split("/");
    if (base.isEmpty) return true;
    for (let i = 0; i < theirs.length; i++) if (mine[i] !== theirs[i]) return false;
    return true;
  }
}

function prep(s: string): string {
  return s.normalize("NFKC").toLowerCase().trim().replace(/\s+/g, " ");
}

function escapeValue(v: string): string {
  if (v.startsWith("#")) return v;
  return v.replace(/([,+"\\<>;])/g, "\\$1").replace(/^ | $/g, "\\ ");
}
