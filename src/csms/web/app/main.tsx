/** @jsxImportSource preact */
/** The customer's panel at /app/: find a charger, charge, watch it live, pay from the wallet. */
import { startApp } from '../shared/boot.tsx';
import { useRoute } from '../shared/router.ts';
import { Shell } from '../shared/ui.tsx';
import { ActiveSessionPage } from './active-session.tsx';
import { ChargerPage } from './charger.tsx';
import { DashboardPage } from './dashboard.tsx';
import { SessionEvents } from './events.tsx';
import { SessionsPage } from './sessions.tsx';
import { StationsPage } from './stations.tsx';
import { WalletPage } from './wallet.tsx';

const NAV = [
  { path: '', label: 'Dashboard' },
  { path: 'session', label: 'Active session' },
  { path: 'stations', label: 'Stations' },
  { path: 'wallet', label: 'Wallet' },
  { path: 'sessions', label: 'History' },
];

function Page(props: { route: string[] }) {
  const [first, second] = props.route;
  switch (first) {
    case 'session': return <ActiveSessionPage />;
    case 'stations': return <StationsPage />;
    case 'chargers': return <ChargerPage chargePointId={second ?? ''} />;
    case 'wallet': return <WalletPage />;
    case 'sessions': return <SessionsPage />;
    default: return <DashboardPage />;
  }
}

function App() {
  const route = useRoute();
  const section = route[0] === 'chargers' ? 'stations' : route[0] ?? '';
  return (
    <Shell product="ev-csms Charging" nav={NAV.map((n) => ({ href: `#/${n.path}`, label: n.label, active: n.path === section }))}>
      <SessionEvents />
      <Page route={route} />
    </Shell>
  );
}

void startApp({ product: 'ev-csms Charging', role: 'customer', registration: true, App });
