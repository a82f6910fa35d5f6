"""Human review of the pipeline's output: decisions stored beside it (`store`) and a local web page (`app`).

`testimony review OUTPUT_DIR` starts the page; `pipeline.review.store.apply_reviews`
and `is_reviewed` give any reader the reviewed version of a record.
"""
