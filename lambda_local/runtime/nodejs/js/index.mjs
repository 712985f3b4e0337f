/*
 * The runtime's entry, as /var/runtime/index.mjs is on AWS: run AWS's runtime interface client for the handler in
 * the task root. aws-lambda-ric 3.x exports run(); 4.x starts itself when imported.
 */
const client = process.env._LAMBDA_LOCAL_RIC;
delete process.env._LAMBDA_LOCAL_RIC;
const ric = await import(client);
if (typeof ric.run === 'function') {
  await ric.run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
}
