/** The errors of the Exchange Online client: one line each, secrets already taken out. */
import { SmimetrustError } from "../errors.js";

/** Signing in to Microsoft Entra ID failed (the token endpoint said no, or could not be reached). */
export class SignInError extends SmimetrustError {
  override readonly code = "ERR_SIGN_IN";
}

/** InvokeCommand answered with an error envelope, a status we cannot use, or not within the retry budget. */
export class ExchangeApiError extends SmimetrustError {
  override readonly code = "ERR_EXCHANGE_API";
  readonly status?: number;
  constructor(message: string, opts: { status?: number; file?: string } = {}) {
    super(message, { file: opts.file });
    this.status = opts.status;
  }
}
