/**
 * From command-line options to the app's form input (shared/datasource.ts), and the export file
 * format. The core validates the result with the same schema as the app's form; this module only
 * fills in the fields the options name and keeps the others as they are. The export file format
 * lives in the core (datasource-import.ts), shared with the window.
 */
import { AUTH_TYPES, TOKEN_RELEVANT_FIELDS, type DatasourceInput, type ExtraParam, type OAuth2PasswordInput } from '../../shared/datasource'
import type { DatasourceRecord } from '../core/db/datasource-repository'
import { hasPlaceholder, PRESET_IDS, PRESETS, type Preset, type PresetId } from '../../shared/presets'
import { UsageError, type OptionValues } from './args'

/** Secrets typed at the prompt or read from stdin; absent ones are kept (edit) or left empty (add). */
export interface SecretValues {
  readonly clientSecret?: string
  readonly password?: string
}

export { EXPORT_FORMAT, EXPORT_VERSION } from '../core/datasource-import'

const string = (values: OptionValues, name: string): string | undefined => {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

function authType(values: OptionValues): 'none' | 'oauth2-password' | undefined {
  const value = string(values, 'auth')
  if (value === undefined) return undefined
  if (!(AUTH_TYPES as ReadonlyArray<string>).includes(value)) throw new UsageError(`--auth must be one of: ${AUTH_TYPES.join(', ')}.`)
  return value as 'none' | 'oauth2-password'
}

/** `--param name=value`, as the form's extra token parameters; the value may contain '='. */
function extraParams(values: OptionValues): ExtraParam[] | undefined {
  const raw = values.param
  if (!Array.isArray(raw)) return undefined
  return raw.map((entry: string) => {
    const equals = entry.indexOf('=')
    if (equals <= 0) throw new UsageError('--param takes name=value, e.g. --param audience=https://api.example.com.')
    return { name: entry.slice(0, equals), value: entry.slice(equals + 1) }
  })
}

const setSecret = (value: string | undefined) => ({ action: 'set' as const, value: value ?? '' })
const changeSecret = (value: string | undefined) => (value === undefined ? { action: 'keep' as const } : { action: 'set' as const, value })

/** `--preset`: one of the vendor presets, or none. */
export function presetOf(values: OptionValues): Preset | null {
  const value = string(values, 'preset')
  if (value === undefined) return null
  if (!(PRESET_IDS as ReadonlyArray<string>).includes(value)) throw new UsageError(`--preset must be one of: ${PRESET_IDS.join(', ')}.`)
  return PRESETS[value as PresetId]
}

/**
 * The form of a new datasource from `add`'s options, with the preset's values (if any) and then
 * the app's defaults for the rest; options always win.
 */
export function inputForAdd(name: string, values: OptionValues, secrets: SecretValues): DatasourceInput {
  const url = string(values, 'url') ?? ''
  if ((authType(values) ?? 'oauth2-password') === 'none') return { name, url, auth: { type: 'none' } }
  const preset = presetOf(values)
  const given = extraParams(values) ?? []
  const presetParams = (preset?.params ?? []).filter((param) => param.value && !given.some((other) => other.name === param.name))
  const issuer = string(values, 'issuer')
  return {
    name,
    url,
    auth: {
      type: 'oauth2-password',
      tokenUrl: string(values, 'token-url') ?? '',
      clientId: string(values, 'client-id') ?? '',
      clientSecret: setSecret(secrets.clientSecret),
      clientAuth: (string(values, 'client-auth') ?? preset?.clientAuth ?? 'basic') as OAuth2PasswordInput['clientAuth'],
      username: string(values, 'username') ?? '',
      password: setSecret(secrets.password),
      rememberPassword: values['no-remember-password'] !== true,
      scope: string(values, 'scope') ?? (preset?.scope && !hasPlaceholder(preset.scope) ? preset.scope : ''),
      extraParams: [...presetParams.map(({ name: param, value }) => ({ name: param, value })), ...given],
      ...(issuer ? { issuer } : {}),
      ...(preset && preset.id !== 'other' ? { preset: preset.id } : {}),
    },
  }
}

/** What a preset still needs from the options: its URL placeholders and required parameters. */
export function presetGaps(values: OptionValues): string | null {
  const preset = presetOf(values)
  if (!preset || preset.id === 'other') return null
  const gaps: string[] = []
  if (string(values, 'token-url') === undefined && string(values, 'issuer') === undefined) {
    gaps.push(`--token-url ${preset.tokenUrlTemplate}${preset.issuerTemplate ? ` (or --issuer ${preset.issuerTemplate})` : ''}, with your values in place of the {...} parts`)
  }
  if (string(values, 'scope') === undefined && preset.scope && hasPlaceholder(preset.scope)) gaps.push(`--scope "${preset.scope}", with your values in place of the {...} parts`)
  const given = extraParams(values) ?? []
  for (const param of preset.params ?? []) {
    if (!param.value && !given.some((other) => other.name === param.name)) gaps.push(`--param ${param.name}=<${param.note}>`)
  }
  return gaps.length ? `${preset.label} needs: ${gaps.join('; ')}.` : null
}

/** The form of a saved datasource as the app would open it: stored secrets are kept. */
export function inputFromRecord(record: DatasourceRecord): DatasourceInput {
  const { auth } = record
  if (auth.type === 'none') return { id: record.id, name: record.name, url: record.url, auth: { type: 'none' } }
  return {
    id: record.id,
    name: record.name,
    url: record.url,
    auth: {
      type: 'oauth2-password',
      tokenUrl: auth.tokenUrl,
      clientId: auth.clientId,
      clientSecret: { action: 'keep' },
      clientAuth: auth.clientAuth,
      username: auth.username,
      password: { action: 'keep' },
      rememberPassword: auth.rememberPassword,
      scope: auth.scope,
      extraParams: auth.extraParams.map((param) => ({ ...param })),
      ...(auth.issuer ? { issuer: auth.issuer } : {}),
      ...(auth.preset ? { preset: auth.preset } : {}),
    },
  }
}

/** `edit`: the saved form with the options given applied; everything else stays. */
export function inputForEdit(record: DatasourceRecord, values: OptionValues, secrets: SecretValues): DatasourceInput {
  if (values['remember-password'] === true && values['no-remember-password'] === true) {
    throw new UsageError('Give either --remember-password or --no-remember-password, not both.')
  }
  const saved = inputFromRecord(record)
  const name = string(values, 'name') ?? saved.name
  const url = string(values, 'url') ?? saved.url
  const type = authType(values) ?? saved.auth.type
  if (type === 'none') return { id: record.id, name, url, auth: { type: 'none' } }
  const base: OAuth2PasswordInput =
    saved.auth.type === 'oauth2-password'
      ? saved.auth
      : { ...(inputForAdd(name, {}, {}).auth as OAuth2PasswordInput), clientSecret: { action: 'keep' }, password: { action: 'keep' } }
  const params = values['clear-params'] === true ? [] : (extraParams(values) ?? base.extraParams)
  const remember = values['remember-password'] === true ? true : values['no-remember-password'] === true ? false : base.rememberPassword
  return {
    id: record.id,
    name,
    url,
    auth: {
      ...base,
      tokenUrl: string(values, 'token-url') ?? base.tokenUrl,
      clientId: string(values, 'client-id') ?? base.clientId,
      clientAuth: (string(values, 'client-auth') ?? base.clientAuth) as OAuth2PasswordInput['clientAuth'],
      username: string(values, 'username') ?? base.username,
      scope: string(values, 'scope') ?? base.scope,
      extraParams: params,
      rememberPassword: remember,
      clientSecret: changeSecret(secrets.clientSecret),
      password: changeSecret(secrets.password),
    },
  }
}

/**
 * True when the edit changes what the stored token was obtained with (the fields the app treats
 * as token-relevant, the authentication type, or a newly typed secret): the token is then dropped
 * and a new one is tested for, as the app's form does.
 */
export function changesToken(record: DatasourceRecord, input: DatasourceInput): boolean {
  const before = record.auth
  const after = input.auth
  if (before.type !== after.type) return true
  if (before.type === 'none' || after.type === 'none') return false
  if (after.clientSecret.action === 'set' || after.password.action === 'set') return true
  return TOKEN_RELEVANT_FIELDS.some((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
}
