"""Bill run runners: local (in-process, partition by partition) and Dask distributed; both run
the same partition calculation (:func:`gridcare.billing.runners.local.calculate_one_partition`)."""
