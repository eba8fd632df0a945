"""The funnels' live monitor and the step visits their analytics count."""
