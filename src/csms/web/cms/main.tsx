/** @jsxImportSource preact */
/** The back office at /cms/: stations, charge points, sessions, tariffs and customers, live. */
import { startApp } from '../shared/boot.tsx';
import { useRoute } from '../shared/router.ts';
import { Shell } from '../shared/ui.tsx';
import { CustomersPage } from './customers.tsx';
import { DashboardPage } from './dashboard.tsx';
import { FirmwarePage } from './firmware.tsx';
import { PointDetailPage } from './point-detail.tsx';
import { PointsPage } from './points.tsx';
import { ReservationsPage } from './reservations.tsx';
import { SessionsPage } from './sessions.tsx';
import { StationDetailPage } from './station-detail.tsx';
import { StationsPage } from './stations.tsx';
import { TariffsPage } from './tariffs.tsx';

const NAV = [
  { path: '', label: 'Dashboard' },
  { path: 'stations', label: 'Charging stations' },
  { path: 'points', label: 'Charging points' },
  { path: 'sessions', label: 'Charging sessions' },
  { path: 'reservations', label: 'Reservations' },
  { path: 'tariffs', label: 'Tariffs' },
  { path: 'customers', label: 'Customers' },
  { path: 'firmware', label: 'Firmware' },
];

function Page(props: { route: string[] }) {
  const [first, second] = props.route;
  switch (first) {
    case 'stations': return second ? <StationDetailPage stationId={Number(second)} /> : <StationsPage />;
    case 'points': return second ? <PointDetailPage chargePointId={second} /> : <PointsPage />;
    case 'sessions': return <SessionsPage />;
    case 'reservations': return <ReservationsPage />;
    case 'tariffs': return <TariffsPage />;
    case 'customers': return <CustomersPage />;
    case 'firmware': return <FirmwarePage />;
    default: return <DashboardPage />;
  }
}

function App() {
  const route = useRoute();
  const section = route[0] ?? '';
  return (
    <Shell product="ev-csms CMS" nav={NAV.map((n) => ({ href: `#/${n.path}`, label: n.label, active: n.path === section }))}>
      <Page route={route} />
    </Shell>
  );
}

void startApp({ product: 'ev-csms CMS', role: 'admin', registration: false, App });
