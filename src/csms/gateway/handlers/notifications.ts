import type { DataTransferResponse } from '../../../ocpp/index.ts';

/**
 * StatusNotification, MeterValues and the firmware/diagnostics notices carry no answer: the
 * processor does the work from the published event.
 */
export const emptyAnswer = (): Record<string, never> => ({});

/** TC_064: we implement no vendor extensions. */
export const dataTransfer = (): DataTransferResponse => ({ status: 'UnknownVendorId' });
