"""Write logic of risk grading and warnings: model versions, input records, grading, the warning loop."""
