/** What every page of an app gets: the REST client, the live channel and the signed-in account. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './api.ts';
import type { Live, ServerConfig } from './live.ts';

export interface Account {
  id: number;
  email: string;
  name: string;
  role: 'customer' | 'admin';
  idTag: string | null;
}

export interface Services {
  api: ApiClient;
  live: Live;
  /** What GET /api/config said at the start. */
  config: ServerConfig;
  account: Account;
  logout(reason?: string): void;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside <ServicesContext.Provider>');
  return services;
}
