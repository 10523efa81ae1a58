export * from './connection-auth';
export * from './options';
export * from './realtime-notifications';
