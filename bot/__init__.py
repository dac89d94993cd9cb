"""Policy assistant for the Heatons Cluster: services, gateway and command line."""
