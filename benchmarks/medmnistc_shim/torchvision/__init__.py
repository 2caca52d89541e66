"""Stand-in for torchvision, only for running MedMNIST-C beside the CPU torch build here."""
