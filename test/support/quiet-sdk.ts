/**
 * Runs before every test file (jest.config.js `setupFiles`): the AWS SDK's notice that Node 20 is
 * no longer supported is noise in the test output (Lambda runs Node 22; CI uses .nvmrc's 22), and
 * the handlers and local runtime started by the tests inherit the setting.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
