/** Bounds against hostile CMS input. */
export const CMS_LIMITS = { maxCertificates: 500, maxCrls: 500, maxSigners: 64, maxAttributes: 256 };
