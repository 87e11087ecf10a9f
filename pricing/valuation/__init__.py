"""Our own valuation models (scikit-learn + pandas): training, storage, valuation."""
