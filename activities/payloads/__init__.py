"""What travels through Temporal, and how: large payloads kept outside the history
(a filesystem or S3 store, through temporalio's ``ExternalStorage``) and payloads
encrypted with AES-GCM (key ids, rotation). ``converter.data_converter`` puts them
together; clients, workers, the replayer and the codec server all use it.
"""
