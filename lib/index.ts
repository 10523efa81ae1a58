export * from './connection-auth';
export * from './realtime-notifications';
