/** @jsxImportSource preact */
/**
 * Starts an app: reads /api/config, restores the signed-in account (or shows the sign-in page),
 * then opens the one live channel every page of the app shares.
 */
import type { ComponentChildren } from 'preact';
import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { createApiClient } from './api.ts';
import { ServicesContext, type Account, type Services } from './context.ts';
import { setNetworkCurrency } from './format.ts';
import { createLive, fetchServerConfig, type ServerConfig } from './live.ts';
import { Form, TextInput, Field, ErrorNote } from './ui.tsx';
import './styles.css';

export interface AppSpec {
  product: string;
  role: Account['role'];
  /** Customers may create an account on the sign-in page. */
  registration: boolean;
  App(): ComponentChildren;
}

interface Stored {
  token: string;
  account: Account;
}

function storageKey(role: string) {
  return `ev-csms.${role}.session`;
}

function load(role: string): Stored | null {
  try {
    const stored = JSON.parse(localStorage.getItem(storageKey(role)) ?? 'null') as Stored | null;
    return stored?.token && stored.account?.role === role ? stored : null;
  } catch {
    return null;
  }
}

function SignIn(props: { spec: AppSpec; notice: string | null; onSignedIn(s: Stored): void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const api = useMemo(() => createApiClient({ token: () => null, onUnauthorized() {} }), []);
  const action = async () => {
    const result = mode === 'login'
      ? await api.send<{ token: string; user: Account }>('POST', '/api/auth/login', { email, password })
      : await api.send<{ token: string; user: Account }>('POST', '/api/user/register', { email, password, name });
    if (result.user.role !== props.spec.role) {
      throw new Error(props.spec.role === 'admin' ? 'This account is not an administrator: use the charging app at /app/.' : 'Administrators sign in to the CMS at /cms/.');
    }
    props.onSignedIn({ token: result.token, account: result.user });
  };
  return (
    <div class="auth">
      <div class="card">
        <div class="brand"><span class="logo">⚡</span> {props.spec.product}</div>
        {props.spec.registration && (
          <div class="tabs">
            <button class={mode === 'login' ? 'active' : ''} onClick={() => setMode('login')}>Sign in</button>
            <button class={mode === 'register' ? 'active' : ''} onClick={() => setMode('register')}>Create account</button>
          </div>
        )}
        {props.notice && <ErrorNote error={new Error(props.notice)} />}
        <Form action={action} submitLabel={mode === 'login' ? 'Sign in' : 'Create account'}>
          {mode === 'register' && (
            <Field label="Name"><TextInput name="name" value={name} onInput={setName} required autoComplete="name" /></Field>
          )}
          <Field label="Email"><TextInput name="email" type="email" value={email} onInput={setEmail} required autoComplete="email" /></Field>
          <Field label="Password" hint={mode === 'register' ? 'At least 8 characters, not a common password' : undefined}>
            <TextInput name="password" type="password" value={password} onInput={setPassword} required minLength={mode === 'register' ? 8 : 1} autoComplete={mode === 'login' ? 'current-password' : 'new-password'} />
          </Field>
        </Form>
      </div>
    </div>
  );
}

function Root(props: { spec: AppSpec; config: ServerConfig }) {
  const { spec, config } = props;
  const [session, setSession] = useState<Stored | null>(() => load(spec.role));
  const [notice, setNotice] = useState<string | null>(null);

  const services = useMemo<Services | null>(() => {
    if (!session) return null;
    const logout = (reason?: string) => {
      localStorage.removeItem(storageKey(spec.role));
      live.close();
      setNotice(reason ?? null);
      setSession(null);
    };
    const api = createApiClient({ token: () => session.token, onUnauthorized: () => logout('Your session has ended: please sign in again.') });
    const live = createLive(config, session.token, (code) => logout(`Signed out by the server (${code}).`));
    return { api, live, config, account: session.account, logout };
  }, [session]);

  if (!services) {
    return (
      <SignIn
        spec={spec}
        notice={notice}
        onSignedIn={(s) => {
          localStorage.setItem(storageKey(spec.role), JSON.stringify(s));
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }
  return <ServicesContext.Provider value={services}><spec.App /></ServicesContext.Provider>;
}

export async function startApp(spec: AppSpec): Promise<void> {
  const root = document.getElementById('root')!;
  try {
    const config = await fetchServerConfig();
    setNetworkCurrency(config.currency);
    render(<Root spec={spec} config={config} />, root);
  } catch (err) {
    root.innerHTML = '';
    root.append(Object.assign(document.createElement('div'), { className: 'error-note', textContent: `The server cannot be reached: ${(err as Error).message}` }));
  }
}
