/**
 * How a client authenticates at the token endpoint, apart from the zod schemas of datasource.ts
 * (which re-exports these): the OAuth client's messages need the labels, and `datasource-desk
 * token` with a due token should not load zod.
 */
export const CLIENT_AUTH_METHODS = ['basic', 'basic-raw', 'body', 'none'] as const
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number]

export const clientAuthLabels: Readonly<Record<ClientAuthMethod, string>> = {
  basic: 'HTTP Basic header',
  'basic-raw': 'HTTP Basic header (not form-encoded)',
  body: 'Credentials in request body',
  none: 'Public client (client ID in body, no secret)',
}
