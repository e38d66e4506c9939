// The admin API, same origin: the browser's App Service Authentication session identifies the user.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `request failed (${status})`);
    this.status = status;
    this.field = body && body.field;
    this.details = (body && body.details) || [];
  }
}

export async function api(method, path, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";  // the server refuses changes not declared as JSON
    if (body !== undefined) init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/${path}`, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => api("GET", path);
export const put = (path, body, headers) => api("PUT", path, body, headers);
export const post = (path, body) => api("POST", path, body);
export const del = (path) => api("DELETE", path);

export function enc(value) {
  return encodeURIComponent(value);
}
