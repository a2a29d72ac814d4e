import { type DerElement, DerReader, decodeOidEl, decodeString, retag } from "../lib/der.js";
import { Name } from "./name.js";

/** GeneralName (RFC 5280 4.2.1.6), the kinds path validation and S/MIME care about. */
export type GeneralName =
  | { type: "email"; value: string }
  | { type: "dns"; value: string }
  | { type: "uri"; value: string }
  | { type: "ip"; value: Uint8Array }
  | { type: "dn"; value: Name }
  | { type: "oid"; value: string }
  | { type: "other"; oid: string; raw: Uint8Array }
  | { type: "x400" | "edi"; raw: Uint8Array };

export function parseGeneralName(el: DerElement): GeneralName {
  switch (el.tag) {
    case 0xa0: {
      const r = DerReader.of(el);
      const oid = decodeOidEl(r.read());
      return { type: "other", oid, raw: el.raw };
    }
    case 0x81:
      return { type: "email", value: decodeString(el) };
    case 0x82:
      return { type: "dns", value: decodeString(el) };
    case 0xa3:
      return { type: "x400", raw: el.raw };
    case 0xa4: {
      const r = DerReader.of(el);
      return { type: "dn", value: new Name(r.read()) };
    }
    case 0xa5:
      return { type: "edi", raw: el.raw };
    case 0x86:
      return { type: "uri", value: decodeString(el) };
    case 0x87:
      return { type: "ip", value: el.value };
    case 0x88: {
      return { type: "oid", value: decodeOidEl(retag(el, 0x06)) };
    }
    default:
      return { type: "other", oid: `tag-0x${el.tag.toString(16)}`, raw: el.raw };
  }
}

/** GeneralNames ::= SEQUENCE OF GeneralName, given the SEQUENCE (or an implicitly tagged one). */
export function parseGeneralNames(el: DerElement): GeneralName[] {
  const r = DerReader.of(el);
  const out: GeneralName[] = [];
  while (!r.done) out.push(parseGeneralName(r.read()));
  return out;
}

export function generalNameToString(g: GeneralName): string {
  switch (g.type) {
    case "email":
      return `email:${g.value}`;
    case "dns":
      return `DNS:${g.value}`;
    case "uri":
      return `URI:${g.value}`;
    case "ip":
      return `IP:${ipToString(g.value)}`;
    case "dn":
      return `DirName:${g.value.toString()}`;
    case "oid":
      return `RID:${g.value}`;
    case "other":
      return `othername:${g.oid}`;
    default:
      return g.type;
  }
}

export function ipToString(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  if (b.length === 16) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(((b[i] << 8) | b[i + 1]).toString(16));
    return parts.join(":");
  }
  return Buffer.from(b).toString("hex");
}
