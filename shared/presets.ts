/**
 * Vendor presets for the servers users meet most. A preset fills the form (token URL template,
 * client authentication, required parameters, a scope) and adds the vendor's advice to error
 * hints; everything it fills stays editable. No zod here: the CLI's fast path must not load it.
 */
import type { ClientAuthMethod } from './client-auth'

export const PRESET_IDS = ['other', 'okta', 'auth0', 'entra', 'keycloak', 'salesforce', 'servicenow'] as const
export type PresetId = (typeof PRESET_IDS)[number]

export interface Preset {
  readonly id: PresetId
  readonly label: string
  /** With {placeholders} the user replaces, e.g. https://{domain}/oauth2/default/v1/token */
  readonly tokenUrlTemplate: string
  /** The issuer URL template, when the vendor supports discovery. */
  readonly issuerTemplate?: string
  readonly clientAuth: ClientAuthMethod
  readonly scope?: string
  /** Extra token parameters the vendor requires; an empty value is for the user to fill. */
  readonly params?: ReadonlyArray<{ readonly name: string; readonly value: string; readonly note: string }>
  /** Shown under the form, and appended to the hints for refused clients and grants. */
  readonly hint: string
}

export const PRESETS: Readonly<Record<PresetId, Preset>> = {
  other: { id: 'other', label: 'Other', tokenUrlTemplate: '', clientAuth: 'basic', hint: '' },
  okta: {
    id: 'okta',
    label: 'Okta',
    tokenUrlTemplate: 'https://{your-org}.okta.com/oauth2/default/v1/token',
    issuerTemplate: 'https://{your-org}.okta.com/oauth2/default',
    clientAuth: 'basic',
    scope: 'openid',
    hint: 'Okta: the app integration needs the "Resource Owner Password" grant type enabled, and the authorization server an access policy rule that allows it.',
  },
  auth0: {
    id: 'auth0',
    label: 'Auth0',
    tokenUrlTemplate: 'https://{your-tenant}.auth0.com/oauth/token',
    issuerTemplate: 'https://{your-tenant}.auth0.com/',
    clientAuth: 'body',
    scope: 'openid offline_access',
    params: [
      { name: 'audience', value: '', note: 'the API identifier (selects the API the token is for)' },
    ],
    hint: 'Auth0: enable the "Password" grant on the application (Advanced settings, Grant types) and set a default directory; for a specific connection use grant_type password-realm with a "realm" parameter. A refresh token comes only with offline_access.',
  },
  entra: {
    id: 'entra',
    label: 'Microsoft Entra ID',
    tokenUrlTemplate: 'https://login.microsoftonline.com/{tenant-id}/oauth2/v2.0/token',
    issuerTemplate: 'https://login.microsoftonline.com/{tenant-id}/v2.0',
    clientAuth: 'body',
    scope: 'api://{application-id}/.default offline_access',
    hint: 'Entra ID: use your tenant endpoint (not /common), scope <resource>/.default, credentials in the body. Accounts with MFA, federated or personal Microsoft accounts cannot use the password grant.',
  },
  keycloak: {
    id: 'keycloak',
    label: 'Keycloak',
    tokenUrlTemplate: 'https://{host}/realms/{realm}/protocol/openid-connect/token',
    issuerTemplate: 'https://{host}/realms/{realm}',
    clientAuth: 'basic',
    hint: 'Keycloak: the client needs "Direct access grants" enabled (Client settings, Capability config); a confidential client needs "Client authentication" on.',
  },
  salesforce: {
    id: 'salesforce',
    label: 'Salesforce',
    tokenUrlTemplate: 'https://login.salesforce.com/services/oauth2/token',
    clientAuth: 'body',
    hint: 'Salesforce: the password is your password followed by your security token; the connected app must allow the username-password flow. No expires_in is sent, so the token is not renewed on a timer; when the API answers 401, Test connection renews it once and asks again.',
  },
  servicenow: {
    id: 'servicenow',
    label: 'ServiceNow',
    tokenUrlTemplate: 'https://{instance}.service-now.com/oauth_token.do',
    clientAuth: 'body',
    hint: 'ServiceNow: create an OAuth API endpoint for external clients (System OAuth, Application Registry); the user needs the roles the API requires.',
  },
}

/** The vendor advice to add to error hints for this preset ('' for none). */
export function presetHint(id: PresetId | undefined): string {
  return id ? PRESETS[id].hint : ''
}

/** True while a URL still holds a {placeholder} of a template. */
export function hasPlaceholder(url: string): boolean {
  return /\{[a-z-]+\}/.test(url)
}
