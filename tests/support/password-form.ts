import type { DatasourceInput, OAuth2PasswordInput } from '../../shared/datasource'

export interface FormCredentials {
  readonly clientId: string
  readonly clientSecret: string
  readonly username: string
  readonly password: string
}

/**
 * An OAuth2 - Password form as the renderer sends it, with newly typed secrets. Pure (no server
 * import), so that child processes of the crash tests can use it too.
 */
export function passwordFormFor(
  endpoints: { readonly tokenUrl: string; readonly apiUrl: string },
  credentials: FormCredentials,
  overrides: Partial<OAuth2PasswordInput> = {},
  name = 'CRM',
): DatasourceInput {
  return {
    name,
    url: endpoints.apiUrl,
    auth: {
      type: 'oauth2-password',
      tokenUrl: endpoints.tokenUrl,
      clientId: credentials.clientId,
      clientSecret: { action: 'set', value: credentials.clientSecret },
      clientAuth: 'basic',
      username: credentials.username,
      password: { action: 'set', value: credentials.password },
      rememberPassword: true,
      scope: 'read',
      extraParams: [],
      ...overrides,
    },
  }
}
