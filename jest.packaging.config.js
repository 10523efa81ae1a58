/** The packaging suite: installs the jsii-built Python and Java packages and synthesizes apps with them. */
const base = require('./jest.config');
module.exports = {
  ...base,
  roots: ['<rootDir>/test/packaging'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 1200000,
  maxWorkers: 1,
};
