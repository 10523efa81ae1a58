/** The venvs tests use are the local runtime's (moto's S3 server is one): one cache, one way to make them. */
export { pythonEnv, pythonTool } from '../../local/python-venv';
