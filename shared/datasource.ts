/**
 * The datasource model and its runtime schemas, shared by the renderer (validation as the user
 * types) and the main process (validation of every IPC payload). Declared once, here.
 */
import { z } from 'zod'
import type { DatasourceId } from './ids'
import { CLIENT_AUTH_METHODS, clientAuthLabels, type ClientAuthMethod } from './client-auth'
import { isLocalhostSubdomain, isLoopbackHost } from './loopback'
import type { TokenStatus } from './token'
import { hasUnsafeCharacters } from './untrusted-text'
import { PRESET_IDS, type PresetId } from './presets'

export const LIMITS = {
  name: 100,
  url: 2048,
  clientId: 512,
  username: 512,
  secret: 8192,
  scope: 2048,
  extraParams: 20,
  paramName: 128,
  paramValue: 2048,
} as const

export { CLIENT_AUTH_METHODS, clientAuthLabels, type ClientAuthMethod }

export const AUTH_TYPES = ['none', 'oauth2-password'] as const
export type AuthType = (typeof AUTH_TYPES)[number]

export const authTypeLabels: Readonly<Record<AuthType, string>> = {
  none: 'None',
  'oauth2-password': 'OAuth2 - Password',
}

/** Parameters the client sets itself; an extra parameter may not override them. */
const RESERVED_PARAMS = new Set(['grant_type', 'username', 'password', 'client_id', 'client_secret', 'scope', 'refresh_token'])

export { isLoopbackHost }

/** C0 controls, DEL and C1 controls. */
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F]/

/** Parses a URL; the error message is what the form shows. */
function parseHttpUrl(value: string): { url: URL } | { error: string } {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { error: 'Enter a full URL, starting with https://' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { error: 'Only http:// and https:// URLs are supported' }
  if (url.username || url.password) return { error: 'Put credentials in their own fields, not in the URL' }
  // The URL parser silently drops tabs and line breaks, so the address used would differ from
  // the one stored and shown; such a value is refused instead.
  if (CONTROL_CHARACTERS.test(value)) return { error: 'Remove the line breaks, tabs or other control characters from the URL' }
  return { url }
}

/**
 * Names, usernames and client ids are printed in terminals, the tray and OS notifications:
 * control, bidi and zero-width characters would let `cr\u200bm` pass for `crm` or a name rewrite
 * the line it is shown on (issue 11, item 4).
 */
const visibleText = (max: number, label: string) =>
  trimmed(max, label).refine((value) => !hasUnsafeCharacters(value), {
    error: `${label} may not contain control, bidi or zero-width (invisible) characters`,
  })

/**
 * The keychain keeps a secret as a C string on some platforms (cut at the first NUL), and a form
 * field cannot type C0 controls: such a value is a paste accident, refused before anything is
 * sent or stored (issue 11, item 9).
 */
const SECRET_CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/
export const SECRET_CONTROL_MESSAGE = 'May not contain NUL, line breaks, tabs or other control characters'

const trimmed = (max: number, label: string) =>
  z
    .string({ error: `${label} must be text` })
    .trim()
    .max(max, { error: `${label} is too long (at most ${max} characters)` })

const httpUrl = (label: string) =>
  trimmed(LIMITS.url, label).superRefine((value, ctx) => {
    const parsed = parseHttpUrl(value)
    if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error })
  })

/** Token URL: an http:// URL is only accepted for loopback hosts (OAUTH-NOTES, security position). */
export const tokenUrlSchema = trimmed(LIMITS.url, 'Token URL')
  .min(1, { error: 'Token URL is required' })
  .superRefine((value, ctx) => {
    // An empty field has its own message above; "Enter a full URL" on top of it would be noise.
    if (!value) return
    const parsed = parseHttpUrl(value)
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error })
      return
    }
    if (parsed.url.protocol === 'http:' && !isLoopbackHost(parsed.url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        message: isLocalhostSubdomain(parsed.url.hostname)
          ? `Use http://localhost or http://127.0.0.1 instead of ${parsed.url.hostname}: a name under .localhost is looked up by the system resolver, which may send the password to another host`
          : 'Use https:// for the token URL: http:// would send the password unencrypted (allowed only for localhost)',
      })
    }
    // RFC 6749 3.2: the token endpoint URI must not include a fragment component.
    if (parsed.url.hash || value.includes('#')) ctx.addIssue({ code: 'custom', message: 'Remove the #fragment: a token URL may not have one' })
  })

/**
 * A secret as the form sends it: `keep` leaves the stored value alone (the renderer never holds
 * a stored secret, so it cannot send it back); `set` replaces it, an empty value clears it.
 */
export const secretValueSchema = z.string().refine((value) => !SECRET_CONTROL_CHARACTERS.test(value), { error: SECRET_CONTROL_MESSAGE })

export const secretInputSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('keep') }).strict(),
  z
    .object({
      action: z.literal('set'),
      value: z
        .string()
        .max(LIMITS.secret, { error: `Too long (at most ${LIMITS.secret} characters)` })
        .refine((value) => !SECRET_CONTROL_CHARACTERS.test(value), { error: SECRET_CONTROL_MESSAGE }),
    })
    .strict(),
])
export type SecretInput = z.infer<typeof secretInputSchema>

export const extraParamSchema = z
  .object({
    name: trimmed(LIMITS.paramName, 'Parameter name')
      .min(1, { error: 'Parameter name is required' })
      .regex(/^[A-Za-z0-9_.\-:[\]]+$/, { error: 'Use letters, digits and _ . - : [ ] only' })
      .refine((name) => !RESERVED_PARAMS.has(name), { error: 'This parameter is set by the form itself' }),
    value: z.string().max(LIMITS.paramValue, { error: `Value is too long (at most ${LIMITS.paramValue} characters)` }),
  })
  .strict()
export type ExtraParam = z.infer<typeof extraParamSchema>

export const oauth2PasswordInputSchema = z
  .object({
    type: z.literal('oauth2-password'),
    tokenUrl: tokenUrlSchema,
    clientId: visibleText(LIMITS.clientId, 'Client ID').min(1, { error: 'Client ID is required' }),
    clientSecret: secretInputSchema,
    clientAuth: z.enum(CLIENT_AUTH_METHODS, { error: 'Choose a client authentication method' }),
    username: visibleText(LIMITS.username, 'Username').min(1, { error: 'Username is required' }),
    password: secretInputSchema,
    rememberPassword: z.boolean(),
    /** The token URL origin the user agreed to send the stored secrets to (issue 11, item 5). */
    confirmedOrigin: z.string().max(LIMITS.url).optional(),
    scope: trimmed(LIMITS.scope, 'Scope').regex(/^[\x21\x23-\x5B\x5D-\x7E ]*$/, {
      error: 'Scope may contain printable ASCII only, separated by spaces (no " or \\)',
    }),
    extraParams: z
      .array(extraParamSchema)
      .max(LIMITS.extraParams, { error: `At most ${LIMITS.extraParams} extra parameters` })
      .superRefine((params, ctx) => {
        const seen = new Set<string>()
        params.forEach((param, index) => {
          if (seen.has(param.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: 'Duplicate parameter' })
          seen.add(param.name)
        })
      }),
    /** The issuer URL the token URL was discovered from; '' or absent when typed by hand. */
    issuer: trimmed(LIMITS.url, 'Issuer URL').optional(),
    /** The vendor preset the form was filled from (absent: "Other"). */
    preset: z.enum(PRESET_IDS, { error: 'Choose a preset' }).optional(),
  })
  .strict()
export type OAuth2PasswordInput = z.infer<typeof oauth2PasswordInputSchema>

export const authInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  oauth2PasswordInputSchema,
])
export type AuthInput = z.infer<typeof authInputSchema>

/** Datasource identifiers are generated by the core (UUID v4); branded (ids.ts). */
export const datasourceIdSchema = z.string().uuid({ error: 'Not a datasource id' }).brand<'DatasourceId'>()

/** What the form sends to Test connection and Save. `id` is set when editing a saved datasource. */
export const datasourceInputSchema = z
  .object({
    id: datasourceIdSchema.optional(),
    // The name is shown in the tray menu and OS notifications, where a line break could pass
    // one datasource off as another.
    name: trimmed(LIMITS.name, 'Name')
      .min(1, { error: 'Name is required' })
      .refine((name) => !CONTROL_CHARACTERS.test(name), { error: 'Name may not contain line breaks, tabs or other control characters' })
      .refine((name) => CONTROL_CHARACTERS.test(name) || !hasUnsafeCharacters(name), { error: 'Name may not contain bidi or zero-width (invisible) characters' }),
    url: httpUrl('URL').or(z.literal('')),
    auth: authInputSchema,
  })
  .strict()
export type DatasourceInput = z.infer<typeof datasourceInputSchema>

/** Fields whose change invalidates a stored token (OAUTH-NOTES: invalidate when these change). */
export const TOKEN_RELEVANT_FIELDS = ['tokenUrl', 'clientId', 'clientAuth', 'username', 'scope', 'extraParams'] as const

/** A saved datasource as the renderer sees it: everything but secrets. */
export interface DatasourceView {
  readonly id: DatasourceId
  readonly name: string
  readonly url: string
  readonly auth: AuthView
  /** Renewal state and the stored token's metadata (never the token itself). */
  readonly status: TokenStatus
  readonly createdAt: number
  readonly updatedAt: number
}

export type AuthView =
  | { readonly type: 'none' }
  | {
      readonly type: 'oauth2-password'
      readonly tokenUrl: string
      readonly clientId: string
      readonly clientAuth: ClientAuthMethod
      readonly username: string
      readonly rememberPassword: boolean
      readonly scope: string
      readonly extraParams: ReadonlyArray<ExtraParam>
      /** The secret is in the keychain; its value never leaves the main process. */
      readonly hasClientSecret: boolean
      readonly hasPassword: boolean
      /** The issuer URL the token URL was discovered from ('' when typed by hand). */
      readonly issuer?: string
      /** What discovery found, kept while the token URL is the one it advertised. */
      readonly discovery?: DiscoveredServer | null
      readonly preset?: PresetId
    }

/** What an authorization server's metadata (RFC 8414 / OIDC Discovery) advertises. */
export interface DiscoveredServer {
  readonly issuer: string
  readonly source: 'openid-configuration' | 'oauth-authorization-server'
  readonly tokenEndpoint: string
  readonly revocationEndpoint?: string
  readonly introspectionEndpoint?: string
  readonly grantTypes?: ReadonlyArray<string>
  /** token_endpoint_auth_methods_supported, as the server names them (client_secret_basic, ...). */
  readonly clientAuthMethods?: ReadonlyArray<string>
  readonly idTokenSigningAlgs?: ReadonlyArray<string>
  readonly discoveredAt: number
}

/** Whether the server lists the password grant: null when it lists no grant types at all. */
export function offersPasswordGrant(server: Pick<DiscoveredServer, 'grantTypes'>): boolean | null {
  return server.grantTypes ? server.grantTypes.includes('password') : null
}

/** An empty form for a new datasource, with the reference product's defaults. */
export function emptyDatasourceInput(): DatasourceInput {
  return {
    name: '',
    url: '',
    auth: {
      type: 'oauth2-password',
      tokenUrl: '',
      clientId: '',
      clientSecret: { action: 'set', value: '' },
      clientAuth: 'basic',
      username: '',
      password: { action: 'set', value: '' },
      rememberPassword: true,
      scope: '',
      extraParams: [],
    },
  }
}

/** RFC 8414 token_endpoint_auth_methods_supported values, as our client authentication methods. */
const AUTH_METHOD_NAMES: Readonly<Record<string, ClientAuthMethod>> = {
  client_secret_basic: 'basic',
  client_secret_post: 'body',
  none: 'none',
}

/** The client authentication method to preselect: the current one when listed, else the first we support. */
export function preferredClientAuth(server: Pick<DiscoveredServer, 'clientAuthMethods'>, current: ClientAuthMethod): ClientAuthMethod {
  const supported = server.clientAuthMethods
  if (!supported) return current
  const ours = supported.map((name) => AUTH_METHOD_NAMES[name]).filter((method): method is ClientAuthMethod => method !== undefined)
  if (ours.includes(current) || (current === 'basic-raw' && ours.includes('basic'))) return current
  return CLIENT_AUTH_METHODS.find((method) => method !== 'none' && ours.includes(method)) ?? ours[0] ?? current
}
