/** How the pages talk to PulseCart's JSON API: one error shape, one place that reads it. */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  idempotencyKey?: string;
}

export interface ApiReply<T> {
  status: number;
  body: T;
}

/** Resolves with 2xx replies; throws ApiFailure with the API's error code otherwise, or NETWORK. */
export async function callApi<T>(method: string, path: string, options: CallOptions = {}): Promise<ApiReply<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: JSON.stringify(options.body) });
  } catch {
    throw new ApiFailure(0, 'NETWORK', 'PulseCart cannot be reached; check your connection and retry.');
  }
  const body = await response.json().catch(() => undefined);
  if (response.ok) return { status: response.status, body: body as T };
  const error = body?.error ?? {};
  throw new ApiFailure(response.status, error.code ?? 'HTTP_' + response.status, error.message ?? response.statusText);
}

/** Anything thrown while talking to the API, as an ApiFailure the page can explain. */
export function asFailure(err: unknown): ApiFailure {
  return err instanceof ApiFailure ? err : new ApiFailure(0, 'UNKNOWN', String(err));
}
