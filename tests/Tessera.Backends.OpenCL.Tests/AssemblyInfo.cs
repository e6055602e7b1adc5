// One test at a time: the tests share one device, and a device is driven by one thread at a time (like a command
// queue). With 2 cores the OpenCL runtime's own threads use the machine anyway.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
