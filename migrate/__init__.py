"""Moving CodeCommit repositories, pull requests and pipelines to GitLab (``python -m migrate``)."""
