import { COMMANDS, usageLine, type CommandSpec } from './args'
import { exitCodeTable } from './exit-codes'

const FIELD_HELP = `Datasource fields (the app's form):
  --url URL                  the API's base URL (Test connection calls it with the token)
  --auth TYPE                oauth2-password (default) or none
  --token-url URL            https:// (http:// only for localhost)
  --client-id ID
  --client-auth METHOD       basic (default), basic-raw, body or none (public client)
  --username USER
  --scope "A B"              space-separated
  --param NAME=VALUE         an extra token parameter; repeat for more
  --no-remember-password     use the password once and do not keep it
  --no-test                  save without testing (and without a token)
  --try-other-auth           when the server refuses the client, try each other --client-auth
                             method once (same token URL) and save with the one it accepts

Secrets are never taken from arguments. In a terminal you are asked for them (add), or with
--client-secret-prompt / --password-prompt (edit). In scripts, pass them on stdin:
  --client-secret-stdin      read the client secret from stdin
  --password-stdin           read the password from stdin
With both, stdin holds two lines: the client secret first, then the password.`

const COMMAND_DETAILS: Readonly<Record<string, string>> = {
  add: `${FIELD_HELP}\n\nAlso for add:\n  --issuer URL               discover the token URL and what the server supports from its issuer\n                             (RFC 8414 / OpenID Connect metadata, issuers with a path included)\n  --preset VENDOR            fill client auth, scope and required parameters for okta, auth0, entra,\n                             keycloak, salesforce or servicenow (options still win)`,
  edit: `${FIELD_HELP}\n\nAlso for edit:\n  --name NEW                 rename\n  --clear-params             remove every extra token parameter\n  --remember-password        keep the password from now on`,
  list: '  --json                     machine-readable output',
  status: '  --json                     machine-readable output',
  introspect:
    'Asks the introspection endpoint the server\'s metadata names (the datasource needs an issuer, --issuer)\nwhether it still accepts the stored access token, and prints what it says (never the token).\n"active: no" means the server rejects the token: "datasource-desk renew <name>" gets a new one.\n  --json                     machine-readable output',
  remove: '  -y, --yes                  do not ask for confirmation (required when not in a terminal)',
  token: 'Prints only the access token and a newline. Until the earliest point at which the app renews\n(70% of a short token lifetime, 5 min before a long one expires) no request is made; otherwise\nit is renewed first (refresh token, then the stored password), waiting for the app if it is\nrenewing the same token.',
  test: '  --try-other-auth           when the server refuses the client, try each other --client-auth\n                             method once (same token URL) and say which one it accepts',
  import:
    'The whole file is checked first; a bad entry imports nothing and names the entry and field.\n  --replace                  update datasources that already exist (their secrets are kept)\n  --keep-secrets-for-new-origin  send kept secrets to a replaced datasource\'s new token URL host\n  --prompt-secrets           ask for each new datasource\'s client secret and password (terminal)',
}

const ENVIRONMENT = `Options for every command:
  --data-dir DIR             the app's data folder (default: the platform's app-data folder)
  -h, --help                 help for a command

Environment:
  DATASOURCE_DESK_DATA_DIR           data folder, when --data-dir is not given
  DATASOURCE_DESK_KEYCHAIN_SERVICE   keychain service name (default "Datasource Desk")`

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => `${command.name} ${command.args}`.length)) + 2
  const commands = COMMANDS.map((command) => `  ${`${command.name} ${command.args}`.padEnd(width)} ${command.summary}`).join('\n')
  return `datasource-desk: the tokens of your Datasource Desk datasources, for scripts and terminals.

Usage: datasource-desk <command> [options]

Commands:
${commands}

Example:
  curl -H "Authorization: Bearer $(datasource-desk token crm)" https://crm.example.com/api/items

${ENVIRONMENT}

Exit codes:
${exitCodeTable()}

Run "datasource-desk <command> --help" for a command's options.
`
}

/** Short on purpose: the command's usage and options; the shared options and exit codes live in --help. */
export function commandHelp(command: CommandSpec): string {
  const details = COMMAND_DETAILS[command.name]
  return `Usage: ${usageLine(command)}\n\n${command.summary}\n${details ? `\n${details}\n` : ''}\nCommon options (--data-dir) and exit codes: datasource-desk --help\n`
}
