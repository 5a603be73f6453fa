/**
 * Django OAuth Toolkit (Debian python3-django-oauth-toolkit, on oauthlib) as an authorization
 * server: a minimal Django project is written to a temp directory, its SQLite database migrated,
 * the interop clients (confidential, grant "password") and users created, and Django's runserver
 * started on 127.0.0.1. It decodes HTTP Basic credentials the RFC 6749 2.3.1 way (unquote_plus)
 * and rotates refresh tokens (ROTATE_REFRESH_TOKEN, its default).
 *
 * One Python process does migrate, setup and runserver (call_command), so the interpreter and
 * Django start once. It exits by itself when its stdin closes (the test process ended or died)
 * and after a fixed maximum lifetime.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { makeTempDir } from '../temp-dir'
import { ALLOWED_SCOPE, INTEROP_CLIENTS, INTEROP_USERS, type InteropServer } from './interop-server'

/** Debian's interpreter: the one that has the packages (a pyenv shim on PATH may not). */
const PYTHON = '/usr/bin/python3'
const START_TIMEOUT_MS = 60_000
const MAX_LIFETIME_SECONDS = 900

const SETTINGS = `
import os
SECRET_KEY = os.environ['INTEROP_SECRET_KEY']
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1']
INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'oauth2_provider']
MIDDLEWARE = []
ROOT_URLCONF = 'interop_urls'
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': os.path.join(os.path.dirname(__file__), 'db.sqlite3')}}
USE_TZ = True
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
# Test users only: a fast hasher keeps start-up short.
PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']
LOGGING = {'version': 1, 'disable_existing_loggers': True}
OAUTH2_PROVIDER = {
    'SCOPES': {'read': 'Read', 'write': 'Write', 'openid': 'OpenID (a plain scope here: OIDC is off)'},
    'DEFAULT_SCOPES': ['${ALLOWED_SCOPE}'],
    'ACCESS_TOKEN_EXPIRE_SECONDS': 3600,
    'ROTATE_REFRESH_TOKEN': True,
    # The control view changes the lifetime at run time; the oauthlib server must see it.
    'ALWAYS_RELOAD_OAUTHLIB_CORE': True,
}
`

const URLS = `
import os
from django.http import HttpResponseForbidden, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import RefreshToken
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import IntrospectTokenView, ProtectedResourceView, RevokeTokenView, TokenView

CONTROL_KEY = os.environ['INTEROP_CONTROL_KEY']

@csrf_exempt
def control(request, action):
    if request.headers.get('X-Interop-Control') != CONTROL_KEY:
        return HttpResponseForbidden()
    if action == 'lifetime':
        oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS = int(request.GET['seconds'])
    elif action == 'revoke-refresh-tokens':
        for token in RefreshToken.objects.filter(revoked__isnull=True):
            token.revoke()
    return JsonResponse({'ok': True})

class Api(ProtectedResourceView):
    # The toolkit's own token check (verify_request); an invalid token gets 401 with a Bearer
    # challenge, as RFC 6750 3.1 says (ProtectedResourceView alone answers 403).
    def dispatch(self, request, *args, **kwargs):
        valid, _ = self.verify_request(request)
        if not valid:
            response = JsonResponse({'error': 'invalid_token'}, status=401)
            response['WWW-Authenticate'] = 'Bearer error="invalid_token"'
            return response
        return JsonResponse({'ok': True})

def metadata(request):
    # RFC 8414 metadata naming the toolkit's own endpoints: DOT 1.7 publishes none without OIDC,
    # and its OIDC document names no revocation or introspection endpoint.
    base = request.build_absolute_uri('/')[:-1]
    return JsonResponse({
        'issuer': base + '/deployment',
        'token_endpoint': base + '/o/token/',
        'revocation_endpoint': base + '/o/revoke_token/',
        'introspection_endpoint': base + '/o/introspect/',
        'grant_types_supported': ['password', 'refresh_token'],
        'token_endpoint_auth_methods_supported': ['client_secret_basic', 'client_secret_post'],
    })

urlpatterns = [
    path('o/token/', TokenView.as_view()),
    path('o/revoke_token/', RevokeTokenView.as_view()),
    path('o/introspect/', IntrospectTokenView.as_view()),
    path('.well-known/oauth-authorization-server/deployment', metadata),
    path('api/', Api.as_view()),
    path('control/<str:action>', control),
]
`

const SERVE = `
import json, os, sys, threading

def exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)

threading.Thread(target=exit_when_parent_goes, daemon=True).start()
limit = threading.Timer(${MAX_LIFETIME_SECONDS}, lambda: os._exit(0))
limit.daemon = True
limit.start()

import django
django.setup()
from django.db.backends.signals import connection_created

def throwaway_database(sender, connection, **kwargs):
    # A test database: no fsync per migration, which is most of the start-up time.
    with connection.cursor() as cursor:
        cursor.execute('PRAGMA synchronous=OFF')
        cursor.execute('PRAGMA journal_mode=MEMORY')

connection_created.connect(throwaway_database)
from django.core.management import call_command
from django.contrib.auth import get_user_model
from oauth2_provider.models import Application

call_command('migrate', verbosity=0, interactive=False)
setup = json.loads(os.environ['INTEROP_SETUP'])
User = get_user_model()
users = [User.objects.create_user(username=u['username'], password=u['password']) for u in setup['users']]
for client in setup['clients']:
    Application.objects.create(
        client_id=client['id'], client_secret=client['secret'], name=client['id'], user=users[0],
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_PASSWORD,
    )
call_command('runserver', '127.0.0.1:' + os.environ['INTEROP_PORT'], use_reloader=False, use_threading=True)
`

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))
}

export async function startDjangoServer(): Promise<InteropServer> {
  const temp = makeTempDir('dsd-django-')
  writeFileSync(join(temp.dir, 'interop_settings.py'), SETTINGS)
  writeFileSync(join(temp.dir, 'interop_urls.py'), URLS)
  writeFileSync(join(temp.dir, 'serve.py'), SERVE)
  const controlKey = randomBytes(16).toString('hex')
  const port = await freePort()
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install the Debian packages python3 and python3-django-oauth-toolkit (.ci/run does)`)
  const child = spawn(PYTHON, [join(temp.dir, 'serve.py')], {
    cwd: temp.dir,
    env: {
      ...process.env,
      PYTHONPATH: temp.dir,
      PYTHONDONTWRITEBYTECODE: '1',
      DJANGO_SETTINGS_MODULE: 'interop_settings',
      INTEROP_SECRET_KEY: randomBytes(32).toString('hex'),
      INTEROP_CONTROL_KEY: controlKey,
      INTEROP_PORT: String(port),
      INTEROP_SETUP: JSON.stringify({ users: INTEROP_USERS, clients: INTEROP_CLIENTS }),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-4000)))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-4000)))
  const base = `http://127.0.0.1:${port}`

  const control = async (path: string): Promise<void> => {
    const response = await fetch(`${base}/control/${path}`, { method: 'POST', headers: { 'x-interop-control': controlKey } })
    if (!response.ok) throw new Error(`Django control ${path} answered ${response.status}`)
  }

  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    if (child.exitCode !== null) {
      const missing = /ModuleNotFoundError/.test(output) ? ' Install the Debian package python3-django-oauth-toolkit (.ci/run does).' : ''
      throw new Error(`Django exited with ${child.exitCode} before it listened.${missing}\n${output}`)
    }
    try {
      await control('ping')
      break
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`Django did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`)
      }
      await sleep(100)
    }
  }

  let closed = false
  return {
    key: 'django-oauth-toolkit',
    title: 'Django OAuth Toolkit 1.7 (Debian, oauthlib)',
    tokenUrl: `${base}/o/token/`,
    apiUrl: `${base}/api/`,
    issuer: null,
    revocation: {
      issuer: `${base}/deployment`,
      endpoint: `${base}/o/revoke_token/`,
      revokes: true,
    },
    introspection: { issuer: `${base}/deployment`, endpoint: `${base}/o/introspect/`, followsToken: true },
    setAccessTokenLifetime: (seconds) => control(`lifetime?seconds=${seconds}`),
    revokeRefreshTokens: () => control('revoke-refresh-tokens'),
    async close() {
      if (closed) return
      closed = true
      child.stdin?.end()
      child.kill('SIGTERM')
      await exited(child)
      temp.cleanup()
    },
  }
}
